"""A package cannot carry a way out: zip entries that are symbolic links are refused at create
and at update, whatever they point at (issue 10, finding 1)."""

import io
import stat
import zipfile

import pytest

from escape_kit import host  # noqa: F401 (a fixture)
from hearth import make_zip


def _zip_with_symlink(name, target):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("f.py", "def main(**kw):\n    return 1\n")
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix: the mode bits below are read
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


@pytest.mark.parametrize("target", ["../../..", "../../../../../../../../tmp", "/etc", "/"])
def test_a_package_with_a_symbolic_link_is_refused(host, target):
    reply = host.attacker.post("/v1/functions", data={"runtime_id": host.runtime("python3")["id"], "entry": "f.main",
                                                      "code": '{"source": "package"}'},
                               files={"package": ("link.zip", _zip_with_symlink("up", target))})
    assert reply.status == 400, reply
    assert "'up' is a symbolic link" in reply.json["faultstring"]


def test_a_package_update_with_a_symbolic_link_is_refused(host):
    function = host.function(host.attacker, "python3", make_zip({"f.py": "def main(**kw):\n    return 1\n"}), "f.main")
    reply = host.attacker.put(f"/v1/functions/{function['id']}", data={"code": '{"source": "package"}'},
                              files={"package": ("link.zip", _zip_with_symlink("up", "../../.."))})
    assert reply.status == 400, reply
    assert "'up' is a symbolic link" in reply.json["faultstring"]
