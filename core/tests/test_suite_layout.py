"""The suite `make test` runs is the whole suite: every app's tests are on pytest.ini's
testpaths (an app left off is never run, by CI or anyone)."""

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_with_tests_is_on_testpaths():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    testpaths = set(ini["pytest"]["testpaths"].split())
    with_tests = {
        path.parent.parent.name
        for path in ROOT.glob("*/tests/__init__.py")
        if any(path.parent.glob("test_*.py"))
    }
    assert with_tests, "no tests found at all"
    assert with_tests - testpaths == set()
