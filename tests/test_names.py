"""Names in every spelling (README, "Names in every spelling"): a name searched in one spelling
finds the others the archive uses, from the shipped table, the user's file and the index's own
names; a quoted word, --as-spelled, and names the rules would confuse are left as written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, cli_in
from newssearch.names import SHIPPED_TABLE, Table, article_names, key

ARCHIVE = FIXTURES / "names" / "archive.jsonl"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    (root / "corpus").mkdir()
    shutil.copy(ARCHIVE, root / "corpus" / "archive.jsonl")
    with cli_in(root) as cli:
        assert cli("index").exit_code == 0
    return root


def _query(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, object], str]:
    with cli_in(root) as cli:
        result = cli("query", *args, "--json", env=env)
        assert result.exit_code in (0, 1), result.output
        shown = cli("query", *args, env=env)
    return json.loads(result.stdout), shown.stderr


def _ids(found: dict[str, object]) -> set[str]:
    return {hit["doc_id"] or hit["id"] for hit in found["results"]}  # type: ignore[attr-defined,index]


def test_a_name_finds_its_other_spellings_and_says_which(archive: Path) -> None:
    found, stderr = _query(archive, "Gaddafi")
    assert _ids(found) == {"libya-1", "libya-2", "libya-3"}
    assert sorted(found["variants"]["Gaddafi"]) == ["Kadhafi", "Qaddafi"]  # type: ignore[index]
    assert "Also searched" in stderr and "Qaddafi" in stderr and "Kadhafi" in stderr
    # From any of them, and in a field.
    assert _ids(_query(archive, "Qaddafi")[0]) == {"libya-1", "libya-2", "libya-3"}
    assert _ids(_query(archive, "title:Kyiv")[0]) == set()  # no headline says either
    assert _ids(_query(archive, "Kyiv")[0]) == {"kyiv-1", "kyiv-2"}
    assert _ids(_query(archive, "Kiev drones")[0]) == {"kyiv-1"}  # every word still required


def test_the_spellings_are_highlighted(archive: Path) -> None:
    found, _ = _query(archive, "Gaddafi")
    for hit in found["results"]:  # type: ignore[attr-defined]
        marked = {m["text"][a:b].lower() for m in hit["matches"] for a, b in m["highlights"]}
        assert marked & {"gaddafi", "qaddafi", "kadhafi"}, hit["id"]


def test_the_table_joins_what_no_rule_does(archive: Path) -> None:
    """Kyiv/Kiev, Zelensky/Zelenskyy and al-Qaeda/al-Qaida are in the shipped table."""
    assert _query(archive, "Zelensky")[0]["variants"] == {"Zelensky": ["Zelenskyy"]}
    found, _ = _query(archive, "al-Qaeda")
    assert found["variants"] == {"al-Qaeda": ["al-Qaida"]} and _ids(found) == {"qaeda-1"}
    found, _ = _query(archive, "Qaeda")
    assert found["variants"] == {"Qaeda": ["Qaida"]} and _ids(found) == {"qaeda-1"}


def test_the_rules_find_spellings_the_table_lacks(archive: Path) -> None:
    found, _ = _query(archive, "Tajikistan")
    assert found["variants"] == {"Tajikistan": ["Tadjikistan"]} and _ids(found) == {"tajik-1", "tajik-2"}


def test_quotes_and_as_spelled_search_as_written(archive: Path) -> None:
    found, stderr = _query(archive, '"Gaddafi"')
    assert found["variants"] == {} and _ids(found) == {"libya-1"} and "Also searched" not in stderr
    found, _ = _query(archive, "Gaddafi", "--as-spelled")
    assert found["variants"] == {} and _ids(found) == {"libya-1"}


def test_short_names_and_common_words_are_left_alone(archive: Path) -> None:
    assert _ids(_query(archive, "Kerry")[0]) == {"kerry-1"}  # not Gerry
    assert _ids(_query(archive, "Gerry")[0]) == {"gerry-1"}
    found, _ = _query(archive, "good")  # a word, not a name: never "God"
    assert found["variants"] == {} and _ids(found) == {"good-1"}


def test_a_users_file_adds_spellings_and_separates_look_alikes(archive: Path, tmp_path: Path) -> None:
    own = tmp_path / "names.txt"
    own.write_text(
        "Kerry | Gerry   # not true, to see that a user's line is used\nTajikistan != Tadjikistan\njust-one\n",
        encoding="utf-8",
    )
    env = {"NEWSSEARCH_NAMES": str(own)}
    found, stderr = _query(archive, "Kerry", env=env)
    assert found["variants"] == {"Kerry": ["Gerry"]} and _ids(found) == {"kerry-1", "gerry-1"}
    found, _ = _query(archive, "Tajikistan", env=env)
    assert found["variants"] == {} and _ids(found) == {"tajik-2"}
    assert f"{own}:3" in stderr and "two or more spellings" in stderr  # named; the rest still used


def test_a_removed_file_takes_its_spellings_with_it(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    lines = ARCHIVE.read_text(encoding="utf-8").splitlines()
    (tmp_path / "corpus" / "a.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    (tmp_path / "corpus" / "b.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    with cli_in(tmp_path) as cli:
        assert cli("index").exit_code == 0
        assert json.loads(cli("query", "Gaddafi", "--json").stdout)["variants"] == {"Gaddafi": ["Qaddafi"]}
        (tmp_path / "corpus" / "b.jsonl").unlink()
        assert cli("index").exit_code == 0
        assert json.loads(cli("query", "Gaddafi", "--json").stdout)["variants"] == {}


def test_an_alert_searches_every_spelling(archive: Path, tmp_path: Path) -> None:
    env = {"NEWSSEARCH_ALERTS": str(tmp_path / "alerts.json")}
    with cli_in(archive) as cli:
        assert cli("alert", "add", "libya", "Gaddafi", env=env).exit_code == 0
        ran = json.loads(cli("alert", "run", "--json", env=env).stdout)
    assert {hit["doc_id"] for hit in ran["alerts"][0]["results"]} == {"libya-1", "libya-2", "libya-3"}


# -- The parts ------------------------------------------------------------------------------------


def test_names_are_words_written_with_a_capital_inside_a_sentence() -> None:
    text = (
        "Libyan officials met Muammar Gaddafi. Gaddafi spoke. The good man and Good Friday.\n"
        "NATO said: Reuters reported it. The king met King Hussein, and the king left."
    )
    assert article_names([text]) == {"muammar", "gaddafi", "hussein", "friday"}


def test_the_rules_key_the_spellings_they_relate() -> None:
    for a, b in [("Qaddafi", "Kadhafi"), ("Qadhafi", "Khadafy"), ("Gadhafi", "Ghaddafi"), ("Grozny", "Groznyy"),
                 ("Khartoum", "Khartum"), ("Ahmadinejad", "Ahmadinezhad"), ("Tajikistan", "Tadjikistan")]:  # fmt: skip
        assert key(a) == key(b), (a, b)
    assert key("Gordon") != key("Jordan") and key("Gilroy") != key("Kilroy")
    for short in ("Kerry", "Gerry", "Ghent", "Sonny", "Scott", "Lyons"):  # too short to have spellings
        assert key(short) is None


@given(st.text(alphabet="abdeghijkloqrstuyz", min_size=4, max_size=12), st.integers(min_value=1, max_value=11))
def test_a_key_ignores_case_hyphens_and_apostrophes(word: str, cut: int) -> None:
    joined = f"{word[:cut]}-{word[cut:]}" if cut < len(word) else word
    assert key(word) == key(word.upper()) == key(joined) == key(joined.replace("-", "'"))


def test_the_shipped_table_reads_without_a_problem_and_cites_every_line() -> None:
    table = Table()
    table.read(SHIPPED_TABLE)
    assert table.problems == []
    for line in SHIPPED_TABLE.read_text(encoding="utf-8").splitlines():
        if "|" in line and not line.startswith("#"):
            assert "#" in line and line.split("#", 1)[1].strip(), f"no source for: {line}"


def test_show_highlights_the_other_spellings(archive: Path) -> None:
    found, _ = _query(archive, "Gaddafi")
    afp = next(hit["id"] for hit in found["results"] if hit["doc_id"] == "libya-3")  # type: ignore[attr-defined,index]
    with cli_in(archive) as cli:
        shown = json.loads(cli("show", afp, "--highlight", "Gaddafi", "--json").stdout)
    body = shown["sections"][0]
    assert {body["text"][a:b] for a, b in body["highlights"]} == {"Kadhafi"}


def test_a_users_file_with_a_bom_and_a_line_not_in_utf8(archive: Path, tmp_path: Path) -> None:
    own = tmp_path / "names.txt"
    own.write_bytes(b"\xef\xbb\xbfKerry | Gerry\nCaf\xe9 | Cafe\n")
    found, stderr = _query(archive, "Kerry", env={"NEWSSEARCH_NAMES": str(own)})
    assert found["variants"] == {"Kerry": ["Gerry"]}  # the first line, without the byte order mark
    assert f"{own}:2: not UTF-8 text" in stderr
