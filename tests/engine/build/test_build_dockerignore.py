""".dockerignore pattern rules, checked against the examples of Docker's reference page."""
from engine.build.dockerignore import Matcher, clean, find_ignore_file, read_patterns


def m(text):
    return Matcher(read_patterns(text))


def test_reference_example_temp():
    rules = m("# comment\n*/temp*\n*/*/temp*\ntemp?\n")
    assert rules.matches("somedir/temporary.txt")
    assert rules.matches("somedir/temp")
    assert rules.matches("somedir/subdir/temporary.txt")
    assert rules.matches("tempa") and rules.matches("tempb")
    assert not rules.matches("temporary.txt")          # root level: only temp? applies
    assert not rules.matches("a/b/c/temp.txt")
    assert not rules.matches("# comment")


def test_leading_slash_and_relative_are_the_same():
    for text in ("/foo/bar", "foo/bar", "foo/bar/", "./foo//bar"):
        rules = m(text)
        assert rules.matches("foo/bar") and rules.matches("foo/bar/baz.txt"), text
        assert not rules.matches("bar") and not rules.matches("x/foo/bar"), text


def test_double_star():
    rules = m("**/*.go")
    assert rules.matches("main.go") and rules.matches("a/b/c.go")
    assert not rules.matches("a/b/c.gox")
    assert m("a/**").matches("a/b/c") and not m("a/**").matches("b/a")
    mid = m("a/**/z")
    assert mid.matches("a/z") and mid.matches("a/b/c/z") and not mid.matches("a/b/zz")


def test_exceptions_last_match_wins():
    rules = m("*.md\n!README.md\n")
    assert rules.matches("CHANGES.md") and not rules.matches("README.md")
    rules = m("*.md\n!README*.md\nREADME-secret.md\n")
    assert not rules.matches("README-public.md") and rules.matches("README-secret.md")
    rules = m("*.md\nREADME-secret.md\n!README*.md\n")
    assert not rules.matches("README-secret.md") and rules.matches("other.md")


def test_exclude_everything_but():
    rules = m("*\n!src\n!Dockerfile\n")
    assert rules.matches("node_modules") and rules.matches("x.txt")
    assert not rules.matches("src/app.py") and not rules.matches("Dockerfile")


def test_parent_directory_match():
    rules = m("build")
    assert rules.matches("build/out/x.o")
    assert not rules.matches("src/build")


def test_question_mark_and_classes_and_escape():
    assert m("file?.txt").matches("file1.txt") and not m("file?.txt").matches("file/.txt")
    assert m("[a-c].txt").matches("b.txt") and not m("[a-c].txt").matches("d.txt")
    assert m("[^a-c].txt").matches("d.txt")
    assert m("a\\*b").matches("a*b") and not m("a\\*b").matches("axb")
    assert m("a.b").matches("a.b") and not m("a.b").matches("axb")


def test_whitespace_and_comments():
    assert read_patterns("  # not a comment because of the blank\n#c\n\n  x  \n!  y\n") == \
        ["# not a comment because of the blank", "x", "!y"]


def test_clean():
    assert clean("a/./b/../c/") == "a/c"
    assert clean("") == "." and clean("/..") == "/"


def test_may_reinclude_under():
    rules = m("vendor\n!vendor/keep.txt\n")
    assert rules.matches("vendor/x") and not rules.matches("vendor/keep.txt")
    assert rules.may_reinclude_under("vendor") and not m("vendor").may_reinclude_under("vendor")


def test_dockerfile_specific_ignore_wins(tmp_path):
    (tmp_path / ".dockerignore").write_text("a\n")
    (tmp_path / "Dockerfile.dev").write_text("FROM x\n")
    (tmp_path / "Dockerfile.dev.dockerignore").write_text("b\n")
    assert find_ignore_file(tmp_path, tmp_path / "Dockerfile.dev").name == "Dockerfile.dev.dockerignore"
    assert find_ignore_file(tmp_path, tmp_path / "Dockerfile").name == ".dockerignore"
