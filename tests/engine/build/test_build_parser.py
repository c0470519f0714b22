"""Dockerfile parser and word expansion: fast unit tests (no engine)."""
import pytest

from engine.build.dockerfile import parse_nodes
from engine.build.instructions import parse_dockerfile, parse_pairs, parse_arg_names, flag_values
from engine.build.shellwords import expand, expand_words, split_words
from engine.errors import BuildError

ENV = {"A": "hello", "E": "", "P": "/usr/local/bin"}


@pytest.mark.parametrize("word,want", [
    ("$A", "hello"), ("${A}x", "hellox"), ("${B:-def}", "def"), ("${E:-d}", "d"),
    ("${E-d}", ""), ("${B-d}", "d"), ("${A:+alt}", "alt"), ("${E:+alt}", ""), ("${E+alt}", "alt"),
    ("${B:+alt}", ""), ("'$A'", "$A"), ('"$A \\$A"', "hello $A"), ("\\$A", "$A"),
    ('"a\\b"', "a\\b"), ("${P#*/}", "usr/local/bin"), ("${P##*/}", "bin"),
    ("${P%/*}", "/usr/local"), ("${P%%/l*}", "/usr"), ("${P/usr/opt}", "/opt/local/bin"),
    ("$", "$"), ("a$-b", "a$-b"), ("$B", ""), ("${A:-$P}", "hello"), ("${B:-$P}", "/usr/local/bin"),
    ('${B:-"x y"}', "x y"), ("pre${A}post", "prehellopost"), ("$A$A", "hellohello"),
])
def test_expand(word, want):
    assert expand(word, ENV) == want


def test_expand_backtick_escape():
    assert expand("`$A", ENV, escape="`") == "$A"
    assert expand("C:\\dir", ENV, escape="`") == "C:\\dir"


def test_expand_required_variable():
    with pytest.raises(BuildError, match="B: must be set"):
        expand("${B:?must be set}", ENV)


def test_expand_words_and_split():
    assert expand_words('a "b c" $A  d', ENV) == ["a", "b c", "hello", "d"]
    assert split_words('a="b c" d=e\\ f') == ['a="b c"', "d=e\\ f"]


def test_unterminated_quote():
    with pytest.raises(BuildError, match="double-quote"):
        expand('"abc', ENV)


def test_continuations_comments_and_lines():
    text = "FROM busybox\n# c\nRUN echo a \\\n  # inner comment\n\n  b\nCMD [\"sh\"]\n"
    pf = parse_nodes(text)
    run = pf.nodes[1]
    assert run.cmd == "run" and run.rest == "echo a   b" and run.line == 3
    assert pf.nodes[2].json_args == ("sh",) and pf.nodes[2].line == 7


def test_escape_directive_backtick():
    pf = parse_nodes("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n")
    assert pf.escape == "`"
    assert pf.nodes[1].rest == "dir c:\\   && echo"


def test_directive_after_comment_is_a_comment():
    pf = parse_nodes("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n")
    assert pf.escape == "\\" and "escape" not in pf.directives
    assert pf.nodes[1].rest == "a  b"


def test_syntax_directive():
    pf = parse_nodes("# syntax=docker/dockerfile:1\nFROM x\n")
    assert pf.directives == {"syntax": "docker/dockerfile:1"}


def test_heredocs():
    text = "FROM x\nRUN <<EOF\necho hi\necho $A\nEOF\nCOPY <<-\"A\" <<B /dst/\n\tone\n\tA\ntwo $X\nB\nCMD x\n"
    pf = parse_nodes(text)
    run, copy = pf.nodes[1], pf.nodes[2]
    assert run.heredocs[0].name == "EOF" and run.heredocs[0].content == "echo hi\necho $A\n"
    assert run.heredocs[0].expand
    a, b = copy.heredocs
    assert (a.name, a.content, a.expand, a.chomp) == ("A", "one\n", False, True)
    assert (b.name, b.content, b.expand) == ("B", "two $X\n", True)
    assert pf.nodes[3].cmd == "cmd" and pf.nodes[3].line == 11


def test_unterminated_heredoc():
    with pytest.raises(BuildError, match="Dockerfile:2: unterminated heredoc 'EOF'"):
        parse_nodes("FROM x\nRUN <<EOF\necho\n")


def test_unknown_instruction_suggests():
    with pytest.raises(BuildError) as e:
        parse_dockerfile("FROM busybox\n\n\n\n\n\nRUNN echo\n")
    assert str(e.value) == "Dockerfile:7: unknown instruction: RUNN (did you mean RUN?)"


def test_unknown_instruction_without_suggestion():
    with pytest.raises(BuildError, match=r"^Dockerfile:2: unknown instruction: XYZZY$"):
        parse_dockerfile("FROM busybox\nXYZZY a\n")


def test_flags():
    pf = parse_nodes("FROM x\nRUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t "
                     "--network=none echo --notaflag\nCOPY --from=build --chown=app:app a b\n")
    run = pf.nodes[1]
    assert flag_values(run, "mount") == ["type=cache,target=/c", "type=tmpfs,target=/t"]
    assert flag_values(run, "network") == ["none"]
    assert run.rest == "echo --notaflag"
    copy = pf.nodes[2]
    assert dict(copy.flags) == {"from": "build", "chown": "app:app"} and copy.rest == "a b"


def test_bad_flag():
    with pytest.raises(BuildError, match="Dockerfile:2: unknown flag: --frm for COPY"):
        parse_dockerfile("FROM x\nCOPY --frm=a b c\n")


def test_stages_and_global_args():
    df = parse_dockerfile("ARG V=1\nARG B\nFROM busybox:$V AS Build\nRUN x\nFROM scratch\n"
                          "COPY --from=build /a /a\n")
    assert df.global_args == [("V", "1"), ("B", None)]
    assert [(s.index, s.name, s.base) for s in df.stages] == [(0, "build", "busybox:$V"),
                                                              (1, "", "scratch")]
    assert df.stage_by_ref("BUILD") is df.stages[0] and df.stage_by_ref("1") is df.stages[1]
    assert len(df.stages[0].instructions) == 1


@pytest.mark.parametrize("text,msg", [
    ("RUN x\n", "Dockerfile:1: no build stage in current context"),
    ("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"),
    ("FROM a AS x\nFROM b AS x\n", "Dockerfile:2: duplicate stage name"),
    ("FROM a\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments"),
    ("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument"),
    ("FROM a\nENV a=1 b\n", "Dockerfile:2: Syntax error - can't find = in 'b'"),
    ("FROM a\nENV onlykey\n", "Dockerfile:2: ENV must have two arguments"),
    ("FROM a\nSHELL /bin/bash -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form"),
    ("FROM a\nHEALTHCHECK RUN x\n", "Dockerfile:2: unknown type 'RUN' in HEALTHCHECK"),
    ("FROM a\nONBUILD FROM x\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"),
    ("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument"),
    ("FROM a\nARG 1x\n", "Dockerfile:2: ARG names can not be blank"),
    ("FROM a\nCOPY --chown=a --chown=b x y\n", "Dockerfile:2: duplicate flag specified: --chown"),
    ("", "Dockerfile: the Dockerfile cannot be empty"),
    ("# escape=x\nFROM a\n", "invalid escape token"),
])
def test_syntax_errors(text, msg):
    with pytest.raises(BuildError) as e:
        parse_dockerfile(text)
    assert msg in str(e.value)


def test_pairs():
    pf = parse_nodes('FROM a\nENV A=1 B="two words" C=x\\ y\nENV LEGACY some value\nLABEL "k.x"=v\n')
    assert parse_pairs(pf.nodes[1]) == [("A", "1"), ("B", '"two words"'), ("C", "x\\ y")]
    assert parse_pairs(pf.nodes[2]) == [("LEGACY", "some value")]
    assert parse_pairs(pf.nodes[3]) == [('"k.x"', "v")]
    assert [expand(v, {}) for _, v in parse_pairs(pf.nodes[1])] == ["1", "two words", "x y"]


def test_arg_names():
    pf = parse_nodes('FROM a\nARG A B=2 C="x y"\n')
    assert parse_arg_names(pf.nodes[1]) == [("A", None), ("B", "2"), ("C", '"x y"')]


def test_lowercase_instructions_and_bom():
    df = parse_dockerfile("\ufefffrom busybox as base\nrun echo\n")
    assert df.stages[0].name == "base" and df.stages[0].instructions[0].cmd == "run"
