"""Taskwrapper wrapping, quoting and whitespace (qcflow.workflow.shell)."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.workflow.shell import (
    collapse_whitespace,
    single_quote,
    unwrap_taskwrapper,
    wrap_taskwrapper,
)

# printable text without NUL (bash cannot carry it in an argument)
shell_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(shell_text)
def test_single_quote_survives_bash(text: str) -> None:
    out = subprocess.run(
        ["bash", "-c", f"printf %s {single_quote(text)}"], capture_output=True, check=True
    )
    assert out.stdout.decode("utf-8", "surrogateescape") == text


@given(st.text(alphabet=st.sampled_from("ab -=\t\n;:/"), max_size=60))
def test_without_quotes_it_is_o2dpgs_collapse(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.split())


def test_whitespace_inside_quotes_is_kept() -> None:
    cmd = "echo   'a   b'  \"c  d\"   e\\  f"
    assert collapse_whitespace(cmd) == "echo 'a   b' \"c  d\" e\\  f"


def test_wrap_matches_o2dpg_for_plain_commands() -> None:
    assert (
        wrap_taskwrapper("t", "echo hi")
        == ". ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper t.log 'echo hi'"
    )
    wrapped = wrap_taskwrapper("t", "echo hi")
    assert wrap_taskwrapper("t", wrapped) == wrapped  # never wrapped twice
    assert wrap_taskwrapper("t", "") == ""


@given(shell_text.filter(lambda s: s.strip() != ""))
def test_unwrap_inverts_wrap(cmd: str) -> None:
    assert unwrap_taskwrapper(wrap_taskwrapper("name_1", cmd)) == cmd


def test_a_quote_in_the_command_runs(tmp_path: object) -> None:
    wrapped = wrap_taskwrapper("t", 'echo "it\'s fine"')
    inner = wrapped.split("taskwrapper t.log ", 1)[1]
    out = subprocess.run(
        ["bash", "-c", f"bash -c {inner}"], capture_output=True, text=True, check=True
    )
    assert out.stdout == "it's fine\n"
    assert unwrap_taskwrapper("echo plain") is None


@given(st.text(alphabet=st.sampled_from("ab -\t\n"), max_size=40))
def test_untrimmed_collapse_is_o2dpgs_inside_the_wrapper(text: str) -> None:
    """O2DPG collapses ``taskwrapper x.log '<cmd>'`` as a whole: runs at the ends stay one space."""
    o2dpg = " ".join(f"w '{text}'".split())
    assert f"w '{collapse_whitespace(text, trim=False)}'" == o2dpg
