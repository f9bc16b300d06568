"""The committed prelude bundles are exactly what the build produces."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "runner" / "js" / "dist"


@pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not installed: the bundle cannot be rebuilt here"
)
@pytest.mark.skipif(
    not (ROOT / "node_modules" / "esbuild").exists(),
    reason="run `npm ci` first: esbuild is missing",
)
@pytest.mark.slow  # rebuilds the preludes with esbuild in node: about 4 s
def test_build_is_reproducible(tmp_path):
    subprocess.run(
        ["node", "runner/js/build.mjs", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in DIST.glob("*.js"))
    for name in built:
        assert (tmp_path / name).read_bytes() == (DIST / name).read_bytes(), (
            f"{name} differs: run npm run build:runner"
        )
