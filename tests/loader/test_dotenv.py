"""The .env parser: quotes, escapes, export, comments, interpolation, OS env precedence."""
import pytest

from compose.errors import ConfigError
from compose.loader.dotenv import parse_dotenv, read_env_file


def test_syntax():
    text = ("# comment\n\nA=1\nexport B=two words  # trailing\nC='single $A \\n'\n"
            'D="dq $A \\n\\t\\"x\\""\nE: colon\nF=\nG="multi\nline"\nH=a#b\n')
    assert parse_dotenv(text) == {"A": "1", "B": "two words", "C": "single $A \\n",
                                  "D": 'dq 1 \n\t"x"', "E": "colon", "F": "", "G": "multi\nline",
                                  "H": "a#b"}


def test_interpolation_prefers_os_environment():
    text = "A=file\nB=${A}\nC=${NOPE:-dflt}\n"
    assert parse_dotenv(text, lookup={"A": "os"}) == {"A": "file", "B": "os", "C": "dflt"}


def test_bare_key_takes_os_value():
    assert parse_dotenv("A\nB\n", lookup={"A": "x"}) == {"A": "x"}


def test_unterminated_quote_names_line():
    with pytest.raises(ConfigError) as err:
        parse_dotenv('A=1\nB="oops\n', file=".env")
    assert err.value.issues[0].line == 2


def test_missing_required_and_optional(tmp_path):
    assert read_env_file(str(tmp_path / "none.env"), required=False) == {}
    with pytest.raises(ConfigError, match="not found"):
        read_env_file(str(tmp_path / "none.env"))
