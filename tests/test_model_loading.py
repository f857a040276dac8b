"""Loading: what the IR tells a user, and typed errors for everything we refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.model.ir import ElementKind

FIXTURES = Path(__file__).resolve().parent / "models"
BAD = FIXTURES / "bad"


def test_model_describes_its_structure() -> None:
    model = simulator.load_model(FIXTURES / "builtins.mdl")
    assert [e.name for e in model.stocks] == ["level"]
    assert {e.name for e in model.flows} == {"growth", "decay"}
    assert model["Rate"].value == 0.05
    assert model["rate"].units == "1/Month"
    assert model["rate"].limits == (0.0, 1.0)
    assert model["rate"].documentation == "Growth rate."
    assert model.time.final_time == 10 and model.time.time_step == 0.125
    assert model.time.saveper == 0.25
    assert "LEVEL" in model and "levels" not in model
    records = {r["name"]: r for r in model.describe()}
    assert records["life"]["value"] == 12.0 and records["life"]["kind"] == "constant"


def test_vensim_groups_are_kept() -> None:
    model = simulator.load_model(FIXTURES / "teacup.mdl")
    assert all(e.group == "" for e in model.elements.values())
    lookups = simulator.load_model(FIXTURES / "lookups.mdl")
    assert lookups["effect of price"].kind is ElementKind.LOOKUP


def test_model_is_immutable() -> None:
    model = simulator.load_model(FIXTURES / "teacup.mdl")
    with pytest.raises(TypeError):
        model.elements["x"] = model["room temperature"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        model["room temperature"].units = "K"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("file", "error", "fragments"),
    [
        ("subscripts.mdl", simulator.UnsupportedConstructError, ["'ranking'", "VECTOR SORT ORDER"]),
        ("macro.mdl", simulator.UnsupportedConstructError, ["'double'", "macro"]),
        ("external.mdl", simulator.UnsupportedConstructError, ["'demand data'", "external"]),
        ("incomplete.mdl", simulator.UnsupportedConstructError, ["'pending'", "A FUNCTION OF"]),
        ("random.mdl", simulator.UnsupportedConstructError, ["'noise'", "RANDOM UNIFORM"]),
        (
            "loop.mdl",
            simulator.AlgebraicLoopError,
            ["orders -> shipments -> backlog effect -> orders"],
        ),
        ("undefined.mdl", simulator.UndefinedReferenceError, ["'total'", "'missing_thing'"]),
        ("garbage.mdl", simulator.ModelFileError, ["line 2", "= a model (("]),
    ],
)
def test_refused_at_load_with_the_element_named(
    file: str, error: type[Exception], fragments: list[str]
) -> None:
    with pytest.raises(error) as info:
        simulator.load_model(BAD / file)
    message = str(info.value)
    assert message.startswith(str(BAD / file))
    for fragment in fragments:
        assert fragment in message


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(simulator.ModelFileError, match="no such model file"):
        simulator.load_model(tmp_path / "absent.mdl")
    other = tmp_path / "model.txt"
    other.write_text("x = 1")
    with pytest.raises(simulator.ModelFileError, match=r"unknown model format '\.txt'"):
        simulator.load_model(other)
    empty = tmp_path / "empty.xmile"
    empty.write_text("<xmile")
    with pytest.raises(simulator.ModelFileError):
        simulator.load_model(empty)


def test_loaded_models_are_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBEC_SD_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "teacup.mdl"
    path.write_bytes((FIXTURES / "teacup.mdl").read_bytes())
    first = simulator.load_model(path)
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
    second = simulator.load_model(path)
    assert second == first and second.source == path
    # an edited file is translated afresh
    path.write_text(path.read_text().replace("70\n", "75\n", 1))
    assert simulator.load_model(path)["room temperature"].value == 75.0
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 2
    # a corrupt cache entry is ignored, not trusted
    for entry in (tmp_path / "cache").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert simulator.load_model(path)["room temperature"].value == 75.0
    monkeypatch.setenv("CBEC_SD_NO_CACHE", "1")
    assert simulator.load_model(path)["room temperature"].value == 75.0
