"""skeltest: a small protocol 6 provider written with the Python `tf` framework, for
skel's plugin tests (runtime/plugin/tests/protocol6.rs, compiler/skelc/tests/plugin_protocol6.rs).

`skeltest_server` has a protocol 6 nested attribute (`listeners`, a list of objects), a
sensitive attribute (`password`), computed ones (`id`, `address`), a requires-replace one
(`name`), a check of its own (`size` at least 1, in ValidateResourceConfig); `skeltest_echo`
is a data source. Objects live in a JSON file in
$SKELTEST_STORE (a directory), so read, import and a second process see them.

`tf` has no nested attributes of its own: `NestedAttribute` sends the schema's `nested_type`
and `Objects` is the value type of a list of objects.

With SKELTEST_MALFORMED=1 in the environment, every answer that carries a value carries msgpack that does not decode.

Private data (which `tf` 1.2.0 neither sends nor reads): `PrivateData` wraps the framework's
RPCs. Every `PlanResourceChange`, `ApplyResourceChange` and `ReadResource` appends the private
bytes it received to $SKELTEST_STORE/private.log (a JSON line: rpc, type, private), and answers
with its own: a plan `planned:` + the prior's, an apply `applied-N` (N counts applies), a read
what it received with `+read` appended once.
"""

import json
import os
import uuid

from tf import runner, schema, types
from tf.gen import tfplugin_pb2 as pb
from tf.iface import DataSource, Provider, Resource
from tf.utils import Diagnostics

MALFORMED = os.environ.get("SKELTEST_MALFORMED") == "1"


class Objects(types.TfType):
    """A list of objects with the given attribute types."""

    def __init__(self, attrs):
        self.attrs = attrs

    def encode(self, value):
        if value is None or value is types.Unknown:
            return value
        return [{k: t.encode(v.get(k)) for k, t in self.attrs.items()} for v in value]

    def decode(self, value):
        if value is None or value is types.Unknown:
            return value
        return [{k: t.decode(v.get(k)) for k, t in self.attrs.items()} for v in value]

    def tf_type(self):
        inner = ",".join(f'"{k}":{t.tf_type().decode()}' for k, t in self.attrs.items())
        return f'["list",["object",{{{inner}}}]]'.encode()


class NestedAttribute(schema.Attribute):
    """An attribute whose schema is a protocol 6 nested type (a list of objects)."""

    def __init__(self, name, inner, **kw):
        super().__init__(name, Objects({a.name: a.type for a in inner}), **kw)
        self.inner = inner

    def to_pb(self):
        a = super().to_pb()
        a.ClearField("type")
        a.nested_type.CopyFrom(
            pb.Schema.Object(
                attributes=[i.to_pb() for i in self.inner],
                nesting=pb.Schema.Object.NestingMode.LIST,
            )
        )
        return a


def store_path():
    return os.path.join(os.environ["SKELTEST_STORE"], "servers.json")


def load():
    try:
        with open(store_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save(servers):
    with open(store_path(), "w") as f:
        json.dump(servers, f)


class Server(Resource):
    @classmethod
    def get_name(cls):
        return "server"

    @classmethod
    def get_schema(cls):
        return schema.Schema(
            version=1,
            description="A server that only exists in a JSON file.",
            attributes=[
                schema.Attribute("id", types.String(), computed=True, description="Assigned at creation."),
                schema.Attribute("name", types.String(), required=True, requires_replace=True, description="Its name; a new name is a new server."),
                schema.Attribute("password", types.String(), optional=True, sensitive=True, description="The admin password."),
                schema.Attribute("address", types.String(), computed=True, description="Where it listens."),
                schema.Attribute("size", types.Number(), optional=True, description="How big."),
                NestedAttribute(
                    "listeners",
                    [
                        schema.Attribute("port", types.Number(), required=True),
                        schema.Attribute("protocol", types.String(), optional=True),
                    ],
                    optional=True,
                    description="What it listens on.",
                ),
            ],
        )

    def __init__(self, provider):
        self.provider = provider

    def validate(self, diags, type_name, config):
        size = config.get("size")
        if isinstance(size, (int, float)) and size < 1:
            diags.add_error("Invalid size", f"A server's size is at least 1, not {size}.", path=["size"])

    def create(self, ctx, planned):
        state = dict(planned)
        state["id"] = "srv-" + uuid.uuid4().hex[:8]
        state["address"] = f"{state['name']}.skeltest.internal"
        servers = load()
        servers[state["id"]] = state
        save(servers)
        return state

    def read(self, ctx, current):
        return load().get(current["id"])

    def update(self, ctx, current, planned):
        state = dict(planned)
        servers = load()
        servers[state["id"]] = state
        save(servers)
        return state

    def delete(self, ctx, current):
        servers = load()
        servers.pop(current["id"], None)
        save(servers)
        return None

    def import_(self, ctx, id):
        state = load().get(id)
        if state is None:
            ctx.diagnostics.add_error("No such server", f"There is no server with id {id}.")
        return state

    def upgrade(self, ctx, version, old):
        # Version 0 called the size `flavor`.
        if version == 0 and "flavor" in old:
            old["size"] = old.pop("flavor")
        return old


class Echo(DataSource):
    @classmethod
    def get_name(cls):
        return "echo"

    @classmethod
    def get_schema(cls):
        return schema.Schema(
            attributes=[
                schema.Attribute("input", types.String(), required=True),
                schema.Attribute("output", types.String(), computed=True),
                schema.Attribute("prefix", types.String(), computed=True),
            ]
        )

    def __init__(self, provider):
        self.provider = provider

    def read(self, ctx, config):
        return {"input": config["input"], "output": self.provider.prefix + config["input"], "prefix": self.provider.prefix}


class SkelTest(Provider):
    def __init__(self):
        self.prefix = ""

    def get_model_prefix(self):
        return "skeltest_"

    def full_name(self):
        return "skel.test/skel/skeltest"

    def get_provider_schema(self, diags):
        return schema.Schema(attributes=[schema.Attribute("prefix", types.String(), optional=True)])

    def validate_config(self, diags: Diagnostics, config):
        if config.get("prefix") == "bad":
            diags.add_error("Invalid prefix", "The prefix `bad` is not allowed.", path=["prefix"])

    def configure_provider(self, diags, config):
        self.prefix = config.get("prefix") or ""

    def get_data_sources(self):
        return [Echo]

    def get_resources(self):
        return [Server]

    def get_functions(self):
        return []


def log_private(rpc, request, private):
    line = {"rpc": rpc, "type": request.type_name, "private": private.decode("utf-8", "replace")}
    with open(os.path.join(os.environ["SKELTEST_STORE"], "private.log"), "a") as f:
        f.write(json.dumps(line) + "\n")


def next_apply():
    path = os.path.join(os.environ["SKELTEST_STORE"], "applies")
    try:
        with open(path) as f:
            n = int(f.read()) + 1
    except FileNotFoundError:
        n = 1
    with open(path, "w") as f:
        f.write(str(n))
    return n


def private_data():
    """Wraps the framework's resource RPCs so they record and return private data."""
    import tf.provider as tf_provider

    servicer = tf_provider.ProviderServicer
    plan, apply, read = servicer.PlanResourceChange, servicer.ApplyResourceChange, servicer.ReadResource

    def plan_private(self, request, context):
        log_private("plan", request, request.prior_private)
        response = plan(self, request, context)
        response.planned_private = b"planned:" + request.prior_private
        return response

    def apply_private(self, request, context):
        log_private("apply", request, request.planned_private)
        response = apply(self, request, context)
        if request.planned_state.msgpack not in (b"", b"\xc0"):  # not a delete
            response.private = b"applied-%d" % next_apply()
        return response

    def read_private(self, request, context):
        log_private("read", request, request.private)
        response = read(self, request, context)
        received = request.private
        response.private = received if received.endswith(b"+read") or not received else received + b"+read"
        return response

    servicer.PlanResourceChange = plan_private
    servicer.ApplyResourceChange = apply_private
    servicer.ReadResource = read_private


private_data()

if MALFORMED:
    import tf.provider as tf_provider

    def malformed(value):
        # An array header promising three elements, then nothing: not a value of any type.
        return pb.DynamicValue(msgpack=b"\x93\x01")

    tf_provider.to_dynamic_value = malformed

if __name__ == "__main__":
    runner.run_provider(SkelTest())
