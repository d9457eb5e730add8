"""Hostile cases, built into a folder: each is a command line that must end in one line on
stderr naming the file and the field (or column and row), exit code 2, and nothing written.

Classes follow issue 13: alias bombs and YAML corners, sizes without bounds, non-finite
numbers, files that are not files, encodings, commands that leaked exceptions, writing over
things that are not files. ``build(folder)`` writes the files and returns the cases.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BASE = """\
name: Hostile base
horizon: {days: 1, interval_minutes: 60}
channels:
  - name: phone
    mode: realtime
    arrivals: {per_hour: 20}
    patience_seconds: {dist: exponential, mean: 180}
    target: {answer_within_seconds: 20, service_level: 0.8}
categories:
  - name: general
    channels: {phone: 1.0}
    skill: general
    handle_minutes: {dist: exponential, mean: 6}
groups:
  - {name: tier1, skills: [general], headcount: 3}
"""

LOG = """\
ticket,start,answer,end,result
t1,2024-03-04 09:00:00,2024-03-04 09:01:00,2024-03-04 09:05:00,served
t2,2024-03-04 09:02:00,2024-03-04 09:02:30,2024-03-04 09:06:40,served
t3,2024-03-04 09:03:00,2024-03-04 09:03:30,2024-03-04 09:08:30,served
"""
MAPPING = "created: start\nanswered: answer\nresolved: end\noutcome: result\n"


@dataclass
class Case:
    """One hostile command line and what its error line must name."""

    name: str
    kind: str  # the class: yaml, size, finite, file, encoding, command, write
    args: list[str]
    names: list[str]  # each must appear in the one line on stderr
    writes: list[Path] = field(default_factory=list)  # must not exist afterwards


def _bomb(levels: int = 9) -> str:
    parts = ["&b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    parts += [f"&b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "name: [" + ", ".join(parts) + "]\n"


def _replace(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


def _scenarios() -> dict[str, tuple[str, str, list[str]]]:
    """File name -> (class, text, what the message names besides the file)."""
    deep = "name: x\nhorizon: " + "[" * 5000 + "]" * 5000 + "\n"
    return {
        # YAML corners and bombs
        "alias_bomb.yaml": ("yaml", _bomb(), ["nodes"]),
        "alias_bomb_in_list.yaml": ("yaml", BASE + "description: " + _bomb(7)[6:], ["nodes"]),
        "alias_wide.yaml": ("yaml", "a: &a [" + ", ".join(["x"] * 200) + "]\nb: [" + ", ".join(["*a"] * 200) + "]\n",
                            ["aliases"]),
        "deep_nesting.yaml": ("yaml", deep, ["deeper"]),
        "deep_mapping.yaml": ("yaml", "name: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", ["deeper"]),
        "list_key.yaml": ("yaml", "? [a, b]\n: 1\n" + BASE, ["keys must be text"]),
        "mapping_key.yaml": ("yaml", "? {a: 1}\n: 1\n" + BASE, ["keys must be text"]),
        "int_key.yaml": ("yaml", BASE.replace("channels: {phone: 1.0}", "channels: {1: 1.0}"), ["keys must be text"]),
        "python_tag.yaml": ("yaml", "name: !!python/object/apply:os.system ['touch /tmp/pwned']\n", ["not allowed"]),
        "custom_tag.yaml": ("yaml", BASE.replace("per_hour: 20", "per_hour: !env RATE"), ["line 6"]),
        "undefined_alias.yaml": ("yaml", BASE + "description: *nothing\n", ["alias"]),
        "duplicate_key.yaml": ("yaml", BASE + "name: again\n", ["given twice"]),
        "tabs.yaml": ("yaml", "name: x\n\thorizon: 1\n", ["not valid YAML"]),
        "two_documents.yaml": ("yaml", BASE + "---\n" + BASE, ["not valid YAML"]),
        "merge_key_wrong.yaml": ("yaml", BASE.replace(
            "  - {name: tier1, skills: [general], headcount: 3}",
            "  - &g {name: tier1, skills: [general], headcount: 3}\n  - {<<: *g, name: tier2, headcount: 1.5}"),
            ["groups[1].headcount"]),
        "scalar.yaml": ("yaml", "just text\n", ["a scenario is a YAML mapping"]),
        # sizes without bounds
        "headcount_1e9.yaml": ("size", _replace("headcount: 3", "headcount: 1000000000"), ["groups[0].headcount"]),
        "headcount_huge_int.yaml": ("size", _replace("headcount: 3", "headcount: 99999999999999999999999"),
                                    ["groups[0].headcount"]),
        "shift_count_1e9.yaml": ("size", _replace(
            "headcount: 3}", 'shifts: [{start: "08:00", hours: 8, count: 1000000000}]}'),
            ["groups[0].shifts[0].count"]),
        "shifts_sum.yaml": ("size", _replace(
            "headcount: 3}", 'shifts: [{start: "08:00", hours: 8, count: 90000}, {start: "09:00", hours: 8, '
            'count: 90000}]}'), ["groups[0].shifts", "100,000"]),
        "headcount_per_interval_1e9.yaml": ("size", _replace(
            "headcount: 3}", "headcount_per_interval: [" + ", ".join(["1000000000"] * 24) + "]}"),
            ["groups[0].headcount_per_interval"]),
        "per_hour_1e9.yaml": ("size", _replace("per_hour: 20", "per_hour: 1000000000"),
                              ["channels[0].arrivals", "50,000,000"]),
        "per_hour_1e308.yaml": ("size", _replace("per_hour: 20", "per_hour: 1.0e308"), ["channels[0].arrivals"]),
        "per_day_huge.yaml": ("size", _replace("per_hour: 20", "per_day: 1.0e12"), ["channels[0].arrivals"]),
        "weekday_huge.yaml": ("size", _replace("per_hour: 20", "per_day: 1000, weekday: {mon: 1.0e300}"),
                              ["channels[0].arrivals.weekday"]),
        "rates_huge.yaml": ("size", _replace("per_hour: 20", "rates_per_hour: [" + ", ".join(["1.0e9"] * 24) + "]"),
                            ["channels[0].arrivals"]),
        "days_huge.yaml": ("size", _replace("days: 1", "days: 100000"), ["horizon.days"]),
        "follow_up_forever.yaml": ("size", _replace(
            "handle_minutes: {dist: exponential, mean: 6}",
            "handle_minutes: {dist: exponential, mean: 6}\n    follow_up: {probability: 1.0, channel: phone, "
            "delay_hours: {dist: deterministic, value: 0}}"), ["categories[0].follow_up.probability"]),
        "empirical_long.yaml": ("size", _replace("{dist: exponential, mean: 6}", "{dist: empirical, values: [1e7]}"),
                                ["categories[0].handle_minutes.values"]),
        # non-finite numbers and distributions that cannot be built
        "per_hour_inf.yaml": ("finite", _replace("per_hour: 20", "per_hour: .inf"), ["channels[0].arrivals.per_hour"]),
        "per_hour_nan.yaml": ("finite", _replace("per_hour: 20", "per_hour: .nan"), ["channels[0].arrivals.per_hour"]),
        "weekday_nan.yaml": ("finite", _replace("per_hour: 20", "per_day: 100, weekday: {mon: .nan}"),
                             ["channels[0].arrivals.weekday.mon"]),
        "mean_inf.yaml": ("finite", _replace("dist: exponential, mean: 6", "dist: exponential, mean: .inf"),
                          ["categories[0].handle_minutes.mean"]),
        "uniform_high_inf.yaml": ("finite", _replace("dist: exponential, mean: 6", "dist: uniform, low: 1, high: .inf"),
                                  ["categories[0].handle_minutes.high"]),
        "empirical_inf.yaml": ("finite", _replace("dist: exponential, mean: 6", "dist: empirical, values: [1, .inf]"),
                               ["categories[0].handle_minutes.values"]),
        "weibull_tiny_cv.yaml": ("finite", _replace("dist: exponential, mean: 6", "dist: weibull, mean: 6, cv: 0.0001"),
                                 ["categories[0].handle_minutes", "cv"]),
        "lognormal_cv_inf.yaml": ("finite", _replace("dist: exponential, mean: 6",
                                                     "dist: lognormal, mean: 6, cv: .inf"),
                                  ["categories[0].handle_minutes.cv"]),
        "target_inf.yaml": ("finite", _replace("answer_within_seconds: 20", "answer_within_seconds: .inf"),
                            ["channels[0].target.answer_within_seconds"]),
        "shrinkage_nan.yaml": ("finite", _replace("headcount: 3", "headcount: 3, shrinkage: .nan"),
                               ["groups[0].shrinkage"]),
        "cost_inf.yaml": ("finite", _replace("headcount: 3", "headcount: 3, cost_per_hour: .inf"),
                          ["groups[0].cost_per_hour"]),
        "patience_huge.yaml": ("finite", _replace("mean: 180", "mean: 1.0e300"), ["channels[0].patience_seconds.mean"]),
        # wrong types
        "name_list.yaml": ("command", _replace("name: Hostile base", "name: [a, b]"), ["name"]),
        "horizon_text.yaml": ("command", _replace("horizon: {days: 1, interval_minutes: 60}", "horizon: soon"),
                              ["horizon"]),
        "headcount_text.yaml": ("command", _replace("headcount: 3", "headcount: lots"), ["groups[0].headcount"]),
        "long_value.yaml": ("command", _replace("mode: realtime", "mode: " + "x" * 100_000), ["channels[0].mode"]),
    }


def build(folder: Path) -> list[Case]:
    """Write the corpus into ``folder``; return its cases."""
    cases: list[Case] = []
    for name, (kind, text, names) in _scenarios().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        out = folder / f"out_{path.stem}"
        cases.append(Case(f"run:{name}", kind, ["run", str(path), "--out", str(out)], [str(path), *names], [out]))
    cases += _files(folder)
    cases += _encodings(folder)
    cases += _commands(folder)
    cases += _writing(folder)
    return cases


def _validate(name: str, kind: str, path: Path, names: list[str]) -> Case:
    return Case(name, kind, ["validate", str(path)], [str(path), *names])


def _files(folder: Path) -> list[Case]:
    """Files that are not files, too big, chains too long."""
    cases = []
    big = folder / "big.yaml"
    big.write_text(BASE + "description: '" + "x" * 2_000_000 + "'\n")
    cases.append(_validate("scenario over 1 MB", "file", big, ["1 MB"]))
    extends_big = folder / "extends_big.yaml"
    extends_big.write_text("extends: big.yaml\nname: v\n")
    cases.append(_validate("extends over 1 MB", "file", extends_big, ["extends", "big.yaml", "1 MB"]))
    passwd = folder / "extends_passwd.yaml"
    passwd.write_text("extends: /etc/passwd\nname: v\n")
    cases.append(_validate("extends /etc/passwd", "file", passwd, ["extends", "/etc/passwd"]))
    empty = folder / "extends_empty.yaml"
    empty.write_text("extends: ''\nname: v\n")
    cases.append(_validate("extends ''", "file", empty, ["extends"]))
    devzero = folder / "extends_devzero.yaml"
    devzero.write_text("extends: /dev/zero\nname: v\n")
    cases.append(_validate("extends /dev/zero", "file", devzero, ["extends", "/dev/zero", "regular file"]))
    chain = folder / "chain"
    chain.mkdir()
    (chain / "c0.yaml").write_text(BASE)
    for i in range(1, 600):
        (chain / f"c{i}.yaml").write_text(f"extends: c{i - 1}.yaml\nname: v{i}\n")
    cases.append(_validate("600 extends", "file", chain / "c599.yaml", ["extends", "more than 10 files"]))
    (folder / "loop_a.yaml").write_text("extends: loop_b.yaml\nname: a\n")
    (folder / "loop_b.yaml").write_text("extends: loop_a.yaml\nname: b\n")
    cases.append(_validate("extends cycle", "file", folder / "loop_a.yaml", ["extends", "cycle"]))
    for target, label in (("/dev/zero", "device"), ("fifo", "FIFO"), (".", "folder"), ("missing.csv", "missing")):
        text = _replace("per_hour: 20", f"csv: {target}")
        path = folder / f"csv_{label}.yaml"
        path.write_text(text)
        cases.append(_validate(f"csv table is a {label}", "file", path, ["channels[0].arrivals.csv"]))
    os.mkfifo(folder / "fifo")
    cases.append(_validate("scenario is a FIFO", "file", folder / "fifo", ["regular file"]))
    cases.append(_validate("scenario is /dev/zero", "file", Path("/dev/zero"), ["regular file"]))
    cases.append(_validate("scenario is a folder", "file", folder / "chain", ["folder"]))
    (folder / "self_link.yaml").symlink_to(folder / "self_link.yaml")
    cases.append(_validate("symlink loop", "file", folder / "self_link.yaml", ["cannot read"]))
    (folder / "link_to_fifo.yaml").symlink_to(folder / "fifo")
    cases.append(_validate("symlink to a FIFO", "file", folder / "link_to_fifo.yaml", ["regular file"]))
    big_csv = folder / "big_rates.csv"
    with big_csv.open("w") as handle:
        handle.write("per_hour\n")
        handle.write("1\n" * 11_000_000)
    path = folder / "csv_big.yaml"
    path.write_text(_replace("per_hour: 20", "csv: big_rates.csv"))
    cases.append(_validate("csv table over 20 MB", "file", path, ["channels[0].arrivals.csv", "20 MB"]))
    sparse = folder / "sparse.csv"
    with sparse.open("wb") as handle:
        handle.truncate(1 << 30)
    cases.append(Case("1 GiB sparse log", "file", ["fit", str(sparse), "-f", "csv", "--created", "start", "-o",
                                                   str(folder / "fit_sparse.yaml")], [str(sparse), "200 MB"],
                      [folder / "fit_sparse.yaml"]))
    cases.append(Case("log is a FIFO", "file", ["fit", str(folder / "fifo"), "-f", "csv", "--created", "start", "-o",
                                                str(folder / "fit_fifo.yaml")], ["fifo", "regular file"],
                      [folder / "fit_fifo.yaml"]))
    cases.append(Case("log is /dev/zero", "file", ["fit", "/dev/zero", "-f", "anonymous_bank", "-o",
                                                   str(folder / "fit_zero.yaml")], ["/dev/zero", "regular file"],
                      [folder / "fit_zero.yaml"]))
    return cases


def _encodings(folder: Path) -> list[Case]:
    cases = []
    for label, data in (("latin1", "per_hour\n12\n\xe9t\xe9\n".encode("latin-1")),
                        ("binary", bytes(range(256)) * 4)):
        table = folder / f"rates_{label}.csv"
        table.write_bytes(data)
        path = folder / f"csv_{label}.yaml"
        path.write_text(_replace("per_hour: 20", f"csv: rates_{label}.csv"))
        cases.append(_validate(f"csv table in {label}", "encoding", path, ["channels[0].arrivals.csv", "UTF-8"]))
    table = folder / "rates_long_field.csv"
    table.write_text("per_hour\n" + "1" * 200_000 + "\n")
    path = folder / "csv_long_field.yaml"
    path.write_text(_replace("per_hour: 20", "csv: rates_long_field.csv"))
    cases.append(_validate("csv field over 131,072 characters", "encoding", path, ["channels[0].arrivals.csv"]))
    table = folder / "rates_1e308.csv"
    table.write_text("per_hour\n" + "1e308\n" * 24)
    path = folder / "csv_1e308.yaml"
    path.write_text(_replace("per_hour: 20", "csv: rates_1e308.csv"))
    cases.append(_validate("csv rates of 1e308", "finite", path, ["channels[0].arrivals"]))
    scenario = folder / "latin1.yaml"
    scenario.write_bytes(BASE.replace("Hostile base", "H\xf4stile").encode("latin-1"))
    cases.append(_validate("scenario in latin-1", "encoding", scenario, ["line 1", "UTF-8"]))
    utf16 = folder / "utf16.yaml"
    utf16.write_bytes(BASE.encode("utf-16"))
    cases.append(_validate("scenario in UTF-16", "encoding", utf16, ["UTF-8"]))
    log = folder / "log_latin1.csv"
    log.write_bytes((LOG + "t4,2024-03-04 09:09:00,,,caf\xe9\n").encode("latin-1"))
    cases.append(Case("log in latin-1", "encoding", ["fit", str(log), "-f", "csv", "--created", "start", "-o",
                                                      str(folder / "fit_latin1.yaml")], [str(log), "line 5", "UTF-8"],
                      [folder / "fit_latin1.yaml"]))
    return cases


def _fit(name: str, kind: str, folder: Path, log_text: str, mapping_text: str, names: list[str]) -> Case:
    """``fit`` on a CSV log with a mapping file; ``names`` starting with "map" name the mapping file."""
    stem = name.replace(" ", "_")
    log = folder / f"log_{stem}.csv"
    log.write_text(log_text)
    mapping = folder / f"map_{stem}.yaml"
    mapping.write_text(mapping_text)
    out = folder / f"fit_{stem}.yaml"
    blamed = mapping if names[0] == "map" else log
    wanted = [str(blamed), *(n for n in names if n != "map")]
    return Case(name, kind, ["fit", str(log), "-f", "csv", "--mapping", str(mapping), "-o", str(out)], wanted, [out])


def _commands(folder: Path) -> list[Case]:
    """Flags and logs that used to leak exceptions."""
    base = folder / "ok.yaml"
    base.write_text(BASE)
    out = folder / "out_flags"
    cases = [
        Case("--replications 1e9", "size", ["run", str(base), "--replications", "1000000000", "--out", str(out)],
             ["--replications", "10,000"], [out]),
        Case("--max-replications 1e9", "size", ["run", str(base), "--precision", "0.0001", "--max-replications",
                                                "1000000000", "--out", str(out)], ["--max-replications"], [out]),
        Case("--replications -1", "command", ["run", str(base), "--replications", "-1"], ["--replications"]),
        Case("--seed text", "command", ["run", str(base), "--seed", "abc"], ["--seed"]),
        Case("--precision nan", "command", ["run", str(base), "--precision", "nan"], ["--precision"]),
        Case("compare replications 1e9", "size", ["compare", str(base), str(base), "--replications", "1000000000"],
             ["--replications"]),
        Case("staff replications 1e9", "size", ["staff", str(base), "--replications", "1000000000"],
             ["--replications"]),
        Case("unknown flag", "command", ["run", str(base), "--frobnicate"], ["--frobnicate"]),
        Case("--dask garbage", "command", ["run", str(base), "--dask", "not an address", "--replications", "2"],
             ["--dask"]),
    ]
    cases += [
        _fit("created list", "command", folder, LOG, "created: [a, b]\n", ["map", "created"]),
        _fit("delimiter 5", "command", folder, LOG, MAPPING + "delimiter: 5\n", ["map", "delimiter"]),
        _fit("time_format 5", "command", folder, LOG, MAPPING + "time_format: 5\n", ["map", "time_format"]),
        _fit("channel_name list", "command", folder, LOG, MAPPING + "channel_name: [a, b]\n", ["map", "channel_name"]),
        _fit("outcomes nested", "command", folder, LOG, MAPPING + "outcomes: {served: [[a]]}\n", ["map", "outcomes"]),
        _fit("mapping bomb", "yaml", folder, LOG, _bomb().replace("name:", "channel_name:"), ["map", "nodes"]),
        _fit("mixed time zones", "command", folder, LOG.replace("09:01:00,", "09:01:00+05:00,")
             .replace("09:02:30,", "09:02:30Z,"), MAPPING, ["answer"]),
        _fit("dates centuries apart", "command", folder, LOG.replace("2024-03-04 09:02:00", "1024-03-04 09:02:00"),
             MAPPING, ["start"]),
        _fit("bad time format", "command", folder, LOG, MAPPING + "time_format: '%Q'\n", ["start"]),
        _fit("mapping unknown key", "command", folder, LOG, MAPPING + "colour: blue\n", ["map", "colour"]),
        _fit("all handle times negative", "command", folder, LOG.replace("09:05:00", "08:05:00")
             .replace("09:06:40", "08:06:40").replace("09:08:30", "08:08:30"), MAPPING, ["end", "handle time"]),
        _fit("all handle times zero", "command", folder, LOG.replace("09:05:00", "09:01:00")
             .replace("09:06:40", "09:02:30").replace("09:08:30", "09:03:30"), MAPPING, ["end", "handle time"]),
        _fit("log spans 24 years", "size", folder, LOG.replace("2024-03-04 09:02:00", "2000-03-04 09:02:00"),
             MAPPING, ["days"]),
        _fit("mapping is a list", "command", folder, LOG, "- created\n- start\n", ["map", "mapping"]),
        _fit("mapping columns not a mapping", "command", folder, LOG, "columns: [a]\n", ["map", "columns"]),
        _fit("log header only", "command", folder, "ticket,start\n", MAPPING, ["no data rows"]),
        _fit("log empty", "command", folder, "", MAPPING, ["empty"]),
        _fit("log long row", "command", folder, LOG + "t9,2024-03-04 09:09:00,,,served,extra,extra\n", MAPPING,
             ["line 5"]),
    ]
    log = folder / "log_tz.csv"
    log.write_text(LOG.replace("09:01:00,", "09:01:00+05:00,").replace("09:02:30,", "09:02:30Z,"))
    mapping_file = folder / "map_tz.yaml"
    mapping_file.write_text(MAPPING)
    cases.append(Case("backtest mixed time zones", "command", ["backtest", str(log), "-f", "csv", "--mapping",
                                                               str(mapping_file), "-s", str(base), "--out",
                                                               str(folder / "bt_tz")], [str(log), "answer"],
                      [folder / "bt_tz"]))
    cases.append(Case("backtest scenario bomb", "yaml", ["backtest", str(log), "-f", "csv", "--mapping",
                                                         str(mapping_file), "-s", str(folder / "alias_bomb.yaml")],
                      ["alias_bomb.yaml", "nodes"]))
    return cases


def _writing(folder: Path) -> list[Case]:
    """Outputs that are not files or folders are never written over."""
    log = folder / "good_log.csv"
    log.write_text(LOG)
    mapping = folder / "good_map.yaml"
    mapping.write_text(MAPPING)
    fifo = folder / "out_fifo"
    os.mkfifo(fifo)
    base = folder / "ok.yaml"
    return [
        Case("fit -o a FIFO", "write", ["fit", str(log), "-f", "csv", "--mapping", str(mapping), "-o", str(fifo)],
             [str(fifo), "not a regular file"]),
        Case("fit -o /dev/null", "write", ["fit", str(log), "-f", "csv", "--mapping", str(mapping), "-o",
                                           "/dev/null"], ["/dev/null", "not a regular file"]),
        Case("run --out a file", "write", ["run", str(base), "--out", str(log)], [str(log), "is a file"]),
        Case("run --out a FIFO", "write", ["run", str(base), "--out", str(fifo)], [str(fifo), "not a folder"]),
    ]
