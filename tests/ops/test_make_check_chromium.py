"""`make test` on a machine without Chromium: as root with apt-get (CI, a fresh machine)
`make check-chromium` installs it itself; anywhere else it stops with the command to run.
apt-get and id are stand-ins here: the test installs nothing."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def machine(tmp_path):
    """A bin folder with a fake `id` and `apt-get` (which logs its calls and, on install,
    puts an executable where Chromium goes), and the check to run against them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    chromium = tmp_path / "chromium"
    calls = tmp_path / "apt-calls"

    def script(name: str, body: str) -> None:
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    def check(*, uid: int, apt_works: bool = True, apt: str = "apt-get"):
        script("id", f'[ "$1" = "-u" ] && echo {uid} || /usr/bin/id "$@"\n')
        installs = f"touch {chromium} && chmod +x {chromium}" if apt_works else "exit 100"
        script("apt-get", f'echo "$@" >> {calls}\ncase "$*" in *install*) {installs};; esac\n')
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        return subprocess.run(
            ["make", "-s", "--no-print-directory", "check-chromium", f"CHROMIUM={chromium}",
             f"APT_GET={apt}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    check.chromium, check.calls = chromium, calls
    return check


def apt_calls(machine) -> list[str]:
    return machine.calls.read_text().splitlines() if machine.calls.exists() else []


def test_root_with_apt_get_installs_chromium(machine):
    done = machine(uid=0)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installing it (apt-get install chromium)" in done.stdout
    assert apt_calls(machine) == ["update -qq", "install -y -qq chromium"]
    assert os.access(machine.chromium, os.X_OK)


def test_chromium_already_there_needs_nothing(machine):
    machine.chromium.touch(mode=0o755)
    done = machine(uid=0)
    assert done.returncode == 0 and done.stdout == "" and apt_calls(machine) == []


def test_anyone_else_is_told_what_to_run(machine):
    done = machine(uid=1000)
    assert done.returncode != 0
    assert "sudo apt-get update && sudo apt-get install -y chromium" in done.stdout
    assert apt_calls(machine) == []


def test_root_without_apt_get_is_told_too(machine):
    done = machine(uid=0, apt="no-such-apt-get")
    assert done.returncode != 0
    assert "sudo apt-get update && sudo apt-get install -y chromium" in done.stdout


def test_a_failed_install_says_so(machine):
    done = machine(uid=0, apt_works=False)
    assert done.returncode != 0
    assert "apt-get could not install chromium" in done.stdout
    assert not machine.chromium.exists()
