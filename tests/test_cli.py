"""The ``cbec-sd`` command: run, compare, check, describe; errors, interrupts and quietness."""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

import simulator
import simulator.io
from simulator import cli

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_scenarios"
BASE = BAD / "_policy_base.yaml"
BAD_FILES = sorted(BAD.glob("[0-9]*.yaml"))


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "tax.yaml"
    path.write_text(
        f"name: tax\nextends: {BASE}\ninterventions:\n"
        "  - {variable: tax incentive, type: ramp, start: 2022, end: 2025, to: 0.15}\n"
    )
    return path


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_a_bad_file_gives_one_or_two_lines_and_exit_2(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert 1 <= len(lines) <= 2
    assert lines[0].startswith("cbec-sd: error: ")
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "run",
            str(BAD / "20_step_after_the_horizon.yaml"),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE.parent,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"cbec-sd: error: {BAD / '20_step_after_the_horizon.yaml'}:6: interventions[0].at: "
        "year 2040 is outside the run (2020 to 2030); move it inside or change "
        "time.start/time.stop"
    ]
    assert not (tmp_path / "out").exists()


def test_check_accepts_good_files(policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(BASE), str(policy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"ok  {policy}: 'tax' on _policy.mdl, 1 interventions, 4 KPIs"


def test_run_writes_outputs_kpis_and_a_plot_per_output(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert cli.main(["run", str(policy), "-o", str(out), "--quiet"]) == 0
    assert files(out) == [
        "kpis.csv",
        "outputs.csv",
        "outputs.nc",
        "plots/coupling_index.png",
        "plots/growth.png",
        "plots/trade.png",
    ]
    table = pd.read_csv(out / "outputs.csv", comment="#")
    dataset = simulator.run_scenario(simulator.load_scenario(policy))
    assert list(table.columns) == ["time", "trade", "coupling index", "growth"]
    assert table["trade"].tolist() == dataset["trade"].isel(run=0).values.tolist()
    assert "trade in 2030: " in capsys.readouterr().out


def test_compare_writes_every_file_and_prints_the_table(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(BASE), str(policy), "-o", str(out), "-q"]) == 0
    assert files(out) == [
        "kpis.csv",
        "outputs.csv",
        "outputs.nc",
        "plots/deltas.png",
        "plots/kpis.png",
        "plots/overlay_coupling_index.png",
        "plots/overlay_growth.png",
        "plots/overlay_trade.png",
        "report.html",
    ]
    printed = capsys.readouterr().out
    assert "trade in 2030 [billion yuan]" in printed
    assert printed.rstrip().endswith(f"report: {out / 'report.html'}")
    kpis = pd.read_csv(out / "kpis.csv", comment="#")
    assert list(kpis["scenario"].unique()) == ["fixture baseline", "tax"]
    with xr.open_dataset(out / "outputs.nc") as stored:
        assert list(stored["scenario"].values) == ["fixture baseline", "tax"]
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5


def test_compare_is_reproducible_byte_for_byte(tmp_path: Path, policy: Path) -> None:
    for name in ("a", "b"):
        assert cli.main(["-q", "compare", str(BASE), str(policy), "-o", str(tmp_path / name)]) == 0
    for name in files(tmp_path / "a"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_an_interrupt_exits_130_and_leaves_no_partial_file(
    tmp_path: Path,
    policy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(self: xr.Dataset, path: Path) -> None:
        Path(path).write_bytes(b"CDF half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", interrupted)
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(BASE), str(policy), "-o", str(out), "-q"]) == 130
    assert files(out) == ["kpis.csv", "outputs.csv"]  # complete files written before Ctrl-C
    assert capsys.readouterr().err.strip() == "cbec-sd: interrupted"


def test_describe_lists_parameters_with_values_units_and_documentation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["describe", str(BAD / "_policy.mdl")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("_policy.mdl: 7 constants, 1 lookups")
    i = out.index("  tax incentive = 0 [Dmnl]  range 0..0.3")
    assert out[i + 1] == "      Share of corporate tax refunded to cluster firms."
    assert "  capacity effect = lookup of 3 points [Dmnl]" in out


def test_a_missing_model_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["describe", str(tmp_path / "none.mdl")]) == 2
    assert capsys.readouterr().err.startswith("cbec-sd: error: ")


def test_progress_goes_to_stderr_unless_quiet(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", str(policy), "-o", str(tmp_path / "loud")]) == 0
    assert "simulating" in capsys.readouterr().err
    assert cli.main(["run", str(policy), "-o", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_a_command_is_one_registry_entry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = types.ModuleType("echo_command")

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("word")

    def handler(args: argparse.Namespace) -> int:
        print(args.word, args.quiet)
        return 0

    echo.add_arguments = add_arguments  # type: ignore[attr-defined]
    echo.handler = handler  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "echo_command", echo)
    monkeypatch.setitem(cli.COMMANDS, "echo", ("echo_command", "Say a word back."))
    assert cli.main(["-q", "echo", "hello"]) == 0
    assert capsys.readouterr().out == "hello True\n"
    assert "Say a word back." in cli.build_parser().format_help()
    assert set(cli.COMMANDS) >= {"run", "compare", "check", "describe", "echo"}


def test_writers_report_where_they_write(tmp_path: Path) -> None:
    target = simulator.io.write_html("<p>x</p>", tmp_path / "deep" / "r.html")
    assert target == tmp_path / "deep" / "r.html"
    assert target.read_text() == "<p>x</p>"


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_a_path_that_cannot_be_written_gives_one_line_and_exit_2(
    command: str, tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    if command == "run":
        argv = ["run", str(policy), "-o", str(blocker / "out"), "-q"]
    else:
        sweep = HERE / "bad_sweeps" / "_valid.yaml"
        argv = ["sensitivity", str(sweep), "-o", str(tmp_path / "out"), "--store", str(blocker)]
        argv.append("-q")
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"cbec-sd: error: Not a directory: {blocker}/")
    assert line.endswith("; check the path and its permissions")
