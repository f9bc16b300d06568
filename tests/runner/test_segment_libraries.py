# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The libraries of Segment's runtime page that need no network, through `python -m runner
run`: the page's own examples (uuidv5, zlib) and the way public functions use each one."""

import base64
import gzip
import hashlib
import hmac
import json
import uuid
import zlib

from tests.runner.api_stub import run_cli, track_value


def probe(tmp_path, expression, **kwargs):
    code = f"async function onRequest(request, settings) {{ const v = await ({expression}); Segment.track({{ userId: 'u', event: 'probe', properties: {{ v }} }}) }}"
    return track_value(run_cli(tmp_path, code, **kwargs))


def test_uuidv5_as_segments_page_shows_it(tmp_path):
    code = """async function onRequest(request, settings) {
       uuidv5 = uuidv5.uuidv5;
       console.log(typeof uuidv5);

        //Generate a UUID in the default URL namespace
        var urlUUID = uuidv5('url', 'http://google/com/page');
        console.log(urlUUID);

        //Default DNS namespace
        var dnsUUID = uuidv5('dns', 'google.com');
        console.log(dnsUUID);
    }"""
    result = run_cli(tmp_path, code)
    assert result["error"] is None and result["exit"] == 0
    assert [line["message"] for line in result["logs"]] == [
        "function",
        str(uuid.uuid5(uuid.NAMESPACE_URL, "http://google/com/page")),
        str(uuid.uuid5(uuid.NAMESPACE_DNS, "google.com")),
    ]


def test_uuidv5_in_a_custom_namespace_as_functions_make_stable_ids(tmp_path):
    namespace = "1b671a64-40d5-491e-99b0-da01ff1f3341"
    expression = f"(() => {{ const ns = uuidv5.uuidv5('null', 'acme', true); return [uuidv5.uuidv5(ns, 'order-42'), uuidv5.uuidv5('{namespace}', 'order-42')]; }})()"
    acme = uuid.uuid5(uuid.UUID(int=0), "acme")
    assert probe(tmp_path, expression) == [
        str(uuid.uuid5(acme, "order-42")),
        str(uuid.uuid5(uuid.UUID(namespace), "order-42")),
    ]


def test_zlib_as_segments_page_shows_it(tmp_path):
    code = """zlib = zlib.zlib;  // Required to access zlib objects and associated functions
  async function onRequest(request, settings) {
  const body = request.json();

  const input = 'something';

  // Calling inflateSync method
  var deflated = zlib.deflateSync(input);

  console.log(deflated.toString('base64'));

  // Calling inflateSync method
  var inflated = zlib.inflateSync(new Buffer.from(deflated)).toString();

  console.log(inflated);

  console.log('Done');
  }"""
    result = run_cli(tmp_path, code)
    assert result["error"] is None
    assert [line["message"] for line in result["logs"]] == [
        base64.b64encode(zlib.compress(b"something")).decode(),
        "something",
        "Done",
    ]


def test_zlib_async_gzip_and_what_other_zlibs_made(tmp_path):
    made_by_python = base64.b64encode(gzip.compress(b'{"event":"signup"}')).decode()
    raw = base64.b64encode(zlib.compress(b"raw body", 9)[2:-4]).decode()
    expression = f"""(async () => {{
      const z = zlib.zlib;
      const gz = await z.gzip('hello gzip');
      const viaCallback = await new Promise((resolve, reject) => z.deflate(Buffer.from('cb'), (err, out) => err ? reject(err) : resolve(out)));
      return {{
        gzip: gz.toString('base64'),
        gunzip: JSON.parse((await z.gunzip(Buffer.from('{made_by_python}', 'base64'))).toString()),
        unzip: z.unzipSync(Buffer.from('{made_by_python}', 'base64')).toString(),
        raw: z.inflateRawSync(Buffer.from('{raw}', 'base64')).toString(),
        callback: z.inflateSync(viaCallback).toString(),
        isBuffer: Buffer.isBuffer(gz),
        error: (() => {{ try {{ z.gunzipSync(Buffer.from('not gzip')); }} catch (e) {{ return [e.code, e.errno, e.message]; }} }})(),
      }};
    }})()"""
    v = probe(tmp_path, expression)
    assert gzip.decompress(base64.b64decode(v["gzip"])) == b"hello gzip"
    assert v["gunzip"] == {"event": "signup"} and v["unzip"] == '{"event":"signup"}'
    assert v["raw"] == "raw body" and v["callback"] == "cb" and v["isBuffer"] is True
    assert v["error"] == ["Z_DATA_ERROR", -3, "incorrect header check"]


def test_moment_with_time_zones(tmp_path):
    expression = "[moment('2021-03-14T06:59:59Z').utc().format('YYYY-MM-DD HH:mm'), moment.tz('2021-03-14T12:00:00Z', 'America/New_York').format(), moment.unix(1600000000).toISOString(), moment('2020-01-31').add(1, 'month').format('LL'), typeof moment.tz.names().length]"
    assert probe(tmp_path, expression) == [
        "2021-03-14 06:59",
        "2021-03-14T08:00:00-04:00",
        "2020-09-13T12:26:40.000Z",
        "February 29, 2020",
        "number",
    ]


def test_jsonwebtoken_signs_and_verifies_hmac_tokens(tmp_path):
    expression = """(() => {
      const token = jsonwebtoken.sign({ sub: 'u1' }, 'shh', { algorithm: 'HS256', noTimestamp: true });
      const decoded = jsonwebtoken.verify(token, 'shh');
      let wrong;
      try { jsonwebtoken.verify(token, 'other'); } catch (e) { wrong = [e.name, e.message]; }
      let rsa;
      try { jsonwebtoken.sign({}, 'k', { algorithm: 'RS256' }); } catch (e) { rsa = e.message; }
      return { token, decoded, wrong, rsa, decodedOnly: jsonwebtoken.decode(token).sub };
    })()"""
    v = probe(tmp_path, expression)
    head, body, signature = v["token"].split(".")
    expected = hmac.new(b"shh", f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature
    assert json.loads(base64.urlsafe_b64decode(body + "==")) == {"sub": "u1"}
    assert v["decoded"] == {"sub": "u1"} and v["decodedOnly"] == "u1"
    assert v["wrong"] == ["JsonWebTokenError", "invalid signature"]
    assert "createSign() is not available in this runtime" in v["rsa"]


def test_xml2js_parses_and_builds(tmp_path):
    expression = """(async () => {
      const parsed = await xml2js.parseStringPromise('<order id="7"><item>a</item><item>b</item></order>');
      const viaCallback = await new Promise((resolve, reject) => xml2js.parseString('<r><n>1</n></r>', { explicitArray: false }, (e, r) => e ? reject(e) : resolve(r)));
      const built = new xml2js.Builder({ headless: true, renderOpts: { pretty: false } }).buildObject({ root: { $: { v: '1' }, child: 'x&y' } });
      return { parsed, viaCallback, built };
    })()"""
    assert probe(tmp_path, expression) == {
        "parsed": {"order": {"$": {"id": "7"}, "item": ["a", "b"]}},
        "viaCallback": {"r": {"n": "1"}},
        "built": '<root v="1"><child>x&amp;y</child></root>',
    }


def test_winston_writes_to_the_functions_console_log(tmp_path):
    code = """async function onRequest(request, settings) {
      const winston = winstonlib.winston;
      const logger = new winston.Logger({ transports: [new winston.transports.Console({ level: 'debug' })] });
      logger.info('order received', { id: 7 });
      logger.error('payment failed');
      logger.debug('details');
      winston.info('default logger');
    }"""
    result = run_cli(tmp_path, code)
    assert result["error"] is None
    assert [(line["level"], line["message"]) for line in result["logs"]] == [
        ("log", "info: order received id=7"),
        ("error", "error: payment failed"),
        ("error", "debug: details"),
        ("log", "info: default logger"),
    ]


def test_winston_file_transport_cannot_reach_the_hosts_files(tmp_path):
    code = "async function onRequest() { const w = winstonlib.winston; new w.Logger({ transports: [new w.transports.File({ filename: '/etc/passwd' })] }).info('x') }"
    result = run_cli(tmp_path, code)
    assert result["exit"] == 1
    assert (
        "is not available in this runtime: a function cannot reach files"
        in result["error"]["message"]
    )


def test_lodash_is_the_version_segment_lists(tmp_path):
    assert probe(tmp_path, "[_.VERSION, _.chunk([1, 2, 3], 2)]") == ["4.17.19", [[1, 2], [3]]]
