"""Round trip of every message type of the contracts: Python's protobuf
(the implementation grpcio uses) encodes a message with every field set,
the C side (protobuf-c with the generated code) decodes and re-encodes it,
and Python checks that it reads back the same message.

    roundtrip.py <path to the roundtrip program>
"""

import base64
import os
import subprocess
import sys

from google.protobuf import descriptor as d

MODULES = ["auctionhouse.auctionhouse_pb2", "characters.characters_pb2", "chat.chat_pb2",
           "group.group_pb2", "guid.guid_pb2", "guilds.guilds_pb2", "mail.mail_pb2",
           "matchmaking.matchmaking_pb2", "servers_registry.registry_pb2",
           "worldserver.worldserver_pb2"]


def all_message_classes():
    import importlib
    from google.protobuf import message_factory, symbol_database
    db = symbol_database.Default()
    for name in MODULES:
        module = importlib.import_module(name)
        stack = list(module.DESCRIPTOR.message_types_by_name.values())
        while stack:
            desc = stack.pop()
            if desc.GetOptions().map_entry:
                continue
            stack.extend(desc.nested_types)
            yield db.GetPrototype(desc) if hasattr(db, "GetPrototype") else \
                message_factory.GetMessageClass(desc)


SCALARS = {
    d.FieldDescriptor.TYPE_STRING: lambda i: f"välue-{i}%",
    d.FieldDescriptor.TYPE_BYTES: lambda i: bytes([i, 0, 255]),
    d.FieldDescriptor.TYPE_BOOL: lambda i: True,
    d.FieldDescriptor.TYPE_DOUBLE: lambda i: 1.5 + i,
    d.FieldDescriptor.TYPE_FLOAT: lambda i: 2.5,
    d.FieldDescriptor.TYPE_INT32: lambda i: -5 - i,
    d.FieldDescriptor.TYPE_SINT32: lambda i: -7,
    d.FieldDescriptor.TYPE_SFIXED32: lambda i: -9,
    d.FieldDescriptor.TYPE_INT64: lambda i: -(1 << 40) - i,
    d.FieldDescriptor.TYPE_SINT64: lambda i: -(1 << 41),
    d.FieldDescriptor.TYPE_SFIXED64: lambda i: -(1 << 42),
    d.FieldDescriptor.TYPE_UINT32: lambda i: 4000000000 - i,
    d.FieldDescriptor.TYPE_FIXED32: lambda i: 123,
    d.FieldDescriptor.TYPE_UINT64: lambda i: (1 << 63) + i,
    d.FieldDescriptor.TYPE_FIXED64: lambda i: (1 << 62),
}


def value_for(field, i):
    if field.type == d.FieldDescriptor.TYPE_ENUM:
        values = field.enum_type.values
        return values[-1].number if values else 0
    return SCALARS[field.type](i)


def fill(msg, depth=0):
    for i, field in enumerate(msg.DESCRIPTOR.fields):
        if field.message_type and field.message_type.GetOptions().map_entry:
            key_f, val_f = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            getattr(msg, field.name)[value_for(key_f, i)] = value_for(val_f, i)
        elif field.message_type:
            if depth > 3:
                continue
            if field.label == d.FieldDescriptor.LABEL_REPEATED:
                for _ in range(2):
                    fill(getattr(msg, field.name).add(), depth + 1)
            else:
                fill(getattr(msg, field.name), depth + 1)
        elif field.label == d.FieldDescriptor.LABEL_REPEATED:
            getattr(msg, field.name).extend([value_for(field, i), value_for(field, i + 1)])
        else:
            setattr(msg, field.name, value_for(field, i))
    return msg


def main():
    program = sys.argv[1]
    messages = {}
    lines = []
    for cls in all_message_classes():
        msg = fill(cls())
        name = msg.DESCRIPTOR.full_name
        messages[name] = (cls, msg)
        lines.append(f"{name} {base64.b64encode(msg.SerializeToString()).decode()}\n")
        empty = cls()  # the all-defaults message encodes to nothing
        lines.append(f"{name} {base64.b64encode(empty.SerializeToString()).decode()}\n")
    out = subprocess.run([program], input="".join(lines), capture_output=True, text=True,
                         check=True)
    failures = []
    results = out.stdout.splitlines()
    if len(results) != len(lines):
        failures.append(f"{len(lines)} sent, {len(results)} answered")
    for sent, got in zip(lines, results):
        name, b64 = sent.split()[0], (sent.split() + [""])[1]
        rname, rest = got.split(" ", 1) if " " in got else (got, "")
        cls, _ = messages[name]
        if rname != name or rest.startswith("ERROR"):
            failures.append(f"{name}: {rest}")
            continue
        if cls.FromString(base64.b64decode(rest)) != cls.FromString(base64.b64decode(b64)):
            failures.append(f"{name}: differs after the round trip")
    print(f"roundtrip: {len(messages)} message types, {len(lines)} messages; "
          f"{len(failures)} failure(s)")
    for f in failures:
        print("  " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
