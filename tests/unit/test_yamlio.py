"""kubetyped.yamlio reads YAML as kubectl does: go-yaml v2 decoding into interface{}, then
sigs.k8s.io/yaml's YAMLToJSON.

Sources checked (2026-12): go-yaml v2 branch at 7649d45 (``resolve.go``: ``resolveMapList``,
``resolve()``, ``yamlStyleFloat``; ``decode.go``: ``scalar()`` keeps timestamps as strings
for ``interface{}``), and kubernetes-sigs/yaml at aadfabb (``yaml.go``: ``YAMLToJSON``,
``convertToJSONableObject`` key conversion; ``go.mod`` requires go.yaml.in/yaml/v2 v2.4.2).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kubetyped import yamlio
from kubetyped._base_errors import ConfigError
from kubetyped.yamlio import YAMLError, load, load_all, load_all_located


def value(text: str) -> object:
    doc = load(f"v: {text}\n")
    assert isinstance(doc, dict)
    return doc["v"]


# resolve.go: a scalar whose first byte has no hint (not a sign, digit, '.', or one of
# "yYnNtTfFoO~") is a string, whatever PyYAML's YAML 1.1 resolvers think of it.
@pytest.mark.parametrize("text", ["=", "abc", "0x", "1.2.3", "-x", "+", "<<x", "1:20", "12e"])
def test_unresolvable_plain_scalars_are_strings(text: str) -> None:
    assert value(text) == text


# resolveMapList: y/Y/yes/Yes/YES, true/True/TRUE, on/On/ON are true; n/N/no/No/NO,
# false/False/FALSE, off/Off/OFF false (YAML 1.1 booleans, as kubectl reads them).
@pytest.mark.parametrize(
    "text", ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
)
def test_go_yaml_v2_true(text: str) -> None:
    assert value(text) is True


@pytest.mark.parametrize(
    "text", ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]
)
def test_go_yaml_v2_false(text: str) -> None:
    assert value(text) is False


# Other spellings are strings (PyYAML agrees; go-yaml v2 has no "yES").
@pytest.mark.parametrize("text", ["yES", "tRUE", "oN"])
def test_mixed_case_booleans_are_strings(text: str) -> None:
    assert value(text) == text


# resolveMapList: "", "~", "null", "Null", "NULL" are null.
@pytest.mark.parametrize("text", ["", "~", "null", "Null", "NULL"])
def test_nulls(text: str) -> None:
    assert value(text) is None


# resolve(): ints are strconv.ParseInt(strings.Replace(in, "_", "", -1), 0, 64): Go's base
# prefixes 0x, 0o, 0b and a leading 0 for octal; then ParseUint up to 2**64-1.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("+12", 12),
        ("-12", -12),
        ("0x1F", 31),
        ("0X1f", 31),
        ("0o17", 15),
        ("017", 15),
        ("0b101", 5),
        ("-0b11", -3),
        ("1_000", 1000),
        ("0x_1F", 31),
        ("9223372036854775807", 2**63 - 1),
        ("18446744073709551615", 2**64 - 1),
    ],
)
def test_go_integers(text: str, expected: int) -> None:
    assert value(text) == expected
    assert type(value(text)) is int


# resolve(): what ParseInt refuses may still match yamlStyleFloat and be a float; json.Marshal
# then writes a whole float without a fraction (1e3 -> 1000, "08" -> 8), which the API server
# reads back as an integer.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", 1.5),
        (".5", 0.5),
        ("-.5", -0.5),
        ("1e3", 1000),
        ("1.", 1),
        ("08", 8),
        ("09.5", 9.5),
        ("1_000.5", 1000.5),
        ("1e-7", 1e-7),
        ("18446744073709551616", 18446744073709551616),
    ],
)
def test_go_floats(text: str, expected: float) -> None:
    assert value(text) == expected
    assert type(value(text)) is type(expected)


# resolve() accepts .inf/.nan as floats, but YAMLToJSON's json.Marshal refuses them: not JSON.
@pytest.mark.parametrize("text", [".inf", "-.inf", "+.INF", ".nan", ".NaN"])
def test_infinities_and_nan_are_refused(text: str) -> None:
    with pytest.raises(YAMLError, match="not a JSON number") as info:
        value(text)
    assert info.value.line == 1


# decode.go scalar(): "It looks like a timestamp but for backward compatibility reasons we set
# it as a string" when decoding into interface{}: dates stay their text.
@pytest.mark.parametrize(
    "text", ["2024-01-02", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10"]
)
def test_timestamps_stay_strings(text: str) -> None:
    assert value(text) == text


def test_quoted_scalars_are_strings() -> None:
    assert load("a: '123'\nb: \"yes\"\nc: '~'\nd: \"=\"\n") == {
        "a": "123",
        "b": "yes",
        "c": "~",
        "d": "=",
    }


# resolve(tag, in) checks an explicit standard tag against what the text resolves to
# ("cannot decode !!str `abc` as a !!int"); !!float takes an int.
def test_explicit_tags() -> None:
    assert load("a: !!str 123\nb: !!float 1\nc: !!int '0x10'\nd: !!bool yes\n") == {
        "a": "123",
        "b": 1.0,
        "c": 16,
        "d": True,
    }
    with pytest.raises(YAMLError, match="cannot decode 'abc' as a !!int"):
        load("a: !!int abc\n")


# resolvableTag(): any other tag leaves the value as written (PyYAML would refuse it).
def test_local_tags_keep_the_value() -> None:
    assert load("a: !Ref x\nb: !list [1, 2]\nc: !map {k: v}\n") == {
        "a": "x",
        "b": [1, 2],
        "c": {"k": "v"},
    }


# convertToJSONableObject: keys become strings (int: strconv.Itoa; float: FormatFloat 'g' -1
# 32; bool: "true"/"false"); a null key is an error. So "y:" is the key "true" in kubectl.
def test_keys_become_json_strings() -> None:
    assert load("1: a\n1.5: b\ntrue: c\ny: d\n0x10: e\n1e7: f\n0.1: g\n") == {
        "1": "a",
        "1.5": "b",
        "true": "d",
        "16": "e",
        "1e+07": "f",
        "0.1": "g",
    }
    with pytest.raises(YAMLError, match="unsupported map key"):
        load("~: a\n")


# go-yaml v2 supports merge keys (decode.go merge()); explicit keys win over merged ones.
def test_merge_keys() -> None:
    doc = load("base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\nv: <<\n")
    assert doc == {"base": {"x": 1, "z": 2}, "m": {"x": 1, "z": 3}, "v": "<<"}


def test_documents_and_empty_documents() -> None:
    assert load_all("a: 1\n---\n---\n# only a comment\n---\n- 2\n") == [{"a": 1}, None, None, [2]]
    assert load_all("") == []
    assert load("") is None


def test_one_document_expected() -> None:
    with pytest.raises(YAMLError, match="expected one document, found 2") as info:
        load("a: 1\n---\nb: 2\n")
    assert info.value.line == 3


# kubectl's YAMLOrJSONDecoder reads a stream starting with "{" as JSON objects, one after the
# other; NaN and Infinity are not JSON.
def test_json_streams() -> None:
    assert load_all('{"a": 1}\n{"b": [true, null]}') == [{"a": 1}, {"b": [True, None]}]
    with pytest.raises(YAMLError, match="invalid JSON") as info:
        load_all('{"a": 1}\n{"b": NaN}')
    assert info.value.line == 2


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(YAMLError) as info:
        load_all("a: 1\nb: [\n")
    assert info.value.line == 3
    with pytest.raises(YAMLError, match="line 2") as info:
        load_all("a: 1\n  b: 2\n")


def test_binary_input_is_refused() -> None:
    with pytest.raises(YAMLError, match="not UTF-8"):
        load_all(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(YAMLError, match="NUL byte"):
        load_all(b"a: 1\n\x00\x01")


def test_lines_by_json_pointer() -> None:
    docs = load_all_located("a: 1\n---\nkind: X\nspec:\n  items:\n    - name: x\n      port: 80\n")
    assert [d.line for d in docs] == [1, 3]
    assert docs[1].lines["/spec/items/0/port"] == 7
    assert docs[1].line_of("/spec/items/0/unknown/deeper") == 6
    assert docs[1].line_of("") == 3


def test_one_way_to_name_the_place_of_a_yaml_problem(tmp_path: Path) -> None:
    """``YAMLError.where`` is the one formatter; the kubeconfig reader quotes it as it is."""
    from kubetyped.kubeconfig import read_kubeconfig

    text = "apiVersion: v1\nclusters: [\n"
    with pytest.raises(yamlio.YAMLError) as info:
        yamlio.load(text)
    where = info.value.where
    assert re.fullmatch(r"line \d+, column \d+", where)
    assert str(info.value) == f"{where}: {info.value.reason}"
    assert yamlio.YAMLError("no place").where == ""
    assert yamlio.YAMLError("a line", 3).where == "line 3"

    config = tmp_path / "config"
    config.write_text(text)
    with pytest.raises(ConfigError) as bad:
        read_kubeconfig(config)
    assert f"invalid YAML ({where}): {info.value.reason}" in str(bad.value)
