"""Schema errors inside a oneOf (short/long syntax) name the offending key and say what is
wrong there, like Docker Compose ("services.a.build additional properties 'bogus' not
allowed", "services.a.depends_on.b.required must be a boolean")."""
import pytest

from compose.errors import ConfigError


@pytest.mark.parametrize("text, path, message", [
    ("services:\n  a:\n    build:\n      context: .\n      bogus: 1\n",
     "services.a.build.bogus", "additional property 'bogus' is not allowed"),
    ("services:\n  a:\n    image: x\n    ports:\n      - target: 80\n        bogus: 1\n",
     "services.a.ports[0].bogus", "additional property 'bogus' is not allowed"),
    ("services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: service_started\n"
     "        required: 'true'\n  b:\n    image: x\n",
     "services.a.depends_on.b.required", "must be a boolean"),
    ("services:\n  a:\n    image: x\n    develop:\n      watch:\n        - path: .\n"
     "          action: sync\n          target: /x\n          initial_sync: 'yes'\n",
     "services.a.develop.watch[0].initial_sync", "must be a boolean"),
    ("services:\n  a:\n    image: x\n    use_api_socket: 'true'\n",
     "services.a.use_api_socket", "must be a boolean"),
    ("services:\n  a:\n    build: 3\n", "services.a.build", "must be a string or a mapping"),
])
def test_one_of_errors_point_at_the_key(load, text, path, message):
    with pytest.raises(ConfigError) as err:
        load(text)
    issue = err.value.issues[0]
    assert (issue.path, issue.message) == (path, message)


def test_yaml11_boolean_warning_comes_before_the_schema_error(load, warnings):
    with pytest.raises(ConfigError):
        load("services:\n  a:\n    image: x\n    tty: 'on'\n    bogus: 1\n")
    assert warnings == ['"on" for boolean is not supported by YAML 1.2, please use `true`']
