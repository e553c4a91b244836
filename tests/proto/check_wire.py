#!/usr/bin/python3
"""Check Stratus' .proto files against ToCloud9's wire facts.

The wire facts (one text file per ToCloud9 proto file, plus CONFLICTS.txt)
list every service, rpc, message, nested message, field, enum and enum value
of the union of ToCloud9 master and PR #37.  This test compiles our own
proto/v1/*/*.proto files into a descriptor set with protoc, loads it with
google.protobuf.descriptor_pb2 and compares the two in both directions:
nothing may be missing and nothing may be extra.

Rules applied:
  * every element tagged [both], [master] or [pr37] must exist (union);
  * a field listed in CONFLICTS.txt (or carrying an inline
    "[CONFLICT master: ... | pr37: ...]" tag) must use the PR #37 name/type;
  * "[optional]" means explicit presence, which Stratus writes as a one-field
    oneof named "_<field>" (protoc-c 1.4.1 rejects proto3 'optional'); a
    real proto3 optional (synthetic oneof of the same name) is accepted too;
  * a field whose type is a nested "<X>Entry" message that the wire facts
    do not define is a protobuf map; the descriptor must contain a map-entry
    message there (key/value types are checked against KNOWN_MAP_ENTRIES).

Exit status: 0 all good, 1 mismatches found, 2 usage/tool error,
77 wire-facts directory missing (skipped, automake/ctest convention).

Run with the system interpreter:  /usr/bin/python3 tests/proto/check_wire.py
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PACKAGE = "v1"

# Map fields whose entry message the wire facts only name.  Key/value types
# come from tocloud9.md Appendix A ("guildNames(2):map<uint64,string>").
KNOWN_MAP_ENTRIES = {
    "GetGuildNamesByIDsResponse.GuildNamesEntry": ("uint64", "string"),
}

SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32",
    "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool",
    "string", "bytes",
}


# --------------------------------------------------------------------------
# wire facts parser
# --------------------------------------------------------------------------

class WireError(Exception):
    pass


RE_HEADER = re.compile(r'^# wire facts for proto package "([^"]+)", file (\S+)')
RE_SERVICE = re.compile(r'^service\s+(\S+)')
RE_RPC = re.compile(r'^\s+rpc\s+(\w+)\s+(\S+)\s+->\s+(\S+)\s*(\[[^\]]*\])?\s*$')
RE_MESSAGE = re.compile(r'^message\s+([\w.]+)\s*(\[[^\]]*\])?\s*$')
RE_ENUM = re.compile(r'^enum\s+([\w.]+)\s*(\[[^\]]*\])?\s*$')
RE_FIELD = re.compile(
    r'^\s+(\d+)\s+(\w+)\s+(repeated\s+)?([\w.]+)(\s+\[optional\])?'
    r'\s*(\[[^\]]*\])?\s*$')
RE_ENUMVAL = re.compile(r'^\s+(-?\d+)\s+(\w+)\s*(\[[^\]]*\])?\s*$')
RE_CONFLICT_TAG = re.compile(
    r'^\[CONFLICT master:\s*(\w+)\s+([\w.]+)\s*\|\s*pr37:\s*(\w+)\s+([\w.]+)\s*\]$')
RE_CONFLICT_LINE = re.compile(
    r'^([\w.]+)\s+field\s+(\d+):\s+master\s+(\w+)\s+([\w.]+)\s+vs\s+pr\s+(\w+)\s+([\w.]+)\s*$')


def parse_conflicts(path):
    """CONFLICTS.txt -> {(message, number): (pr_name, pr_type, master_name, master_type)}"""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = RE_CONFLICT_LINE.match(line)
            if not m:
                raise WireError("%s:%d: cannot parse conflict line: %r" % (path, lineno, line))
            msg, num, mname, mtype, pname, ptype = m.groups()
            out[(msg, int(num))] = (pname, ptype, mname, mtype)
    return out


def parse_wire_file(path):
    """Parse one wire facts file.

    Returns dict with keys: file, package, services, messages, enums.
      services: {name: [(rpc, in, out, tag)]}  (order kept)
      messages: {dotted name: {"tag": tag, "fields": {num: field}}}
        field = {"name", "type", "label" ('repeated'|'optional'|''), "tag", "conflict"}
      enums:    {dotted name: {"tag": tag, "values": {name: number},
                 "value_tags": {name: tag}}}
    Type names are relative to the package ("X.Y"), scalars stay as is.
    """
    facts = {"file": None, "package": None, "services": {}, "messages": {},
             "enums": {}, "path": path}
    cur = None          # ("service"|"message"|"enum", name)
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            where = "%s:%d" % (os.path.basename(path), lineno)
            m = RE_HEADER.match(line)
            if m:
                facts["package"], facts["file"] = m.group(1), m.group(2)
                continue
            if not line.strip() or line.startswith("#"):
                if not line.strip():
                    cur = None
                continue
            m = RE_SERVICE.match(line)
            if m:
                name = m.group(1)
                if name.startswith(PACKAGE + "."):
                    name = name[len(PACKAGE) + 1:]
                facts["services"].setdefault(name, [])
                cur = ("service", name)
                continue
            m = RE_MESSAGE.match(line)
            if m:
                name = m.group(1)
                if name in facts["messages"]:
                    raise WireError("%s: message %s listed twice" % (where, name))
                facts["messages"][name] = {"tag": m.group(2) or "", "fields": {}}
                cur = ("message", name)
                continue
            m = RE_ENUM.match(line)
            if m:
                name = m.group(1)
                if name in facts["enums"]:
                    raise WireError("%s: enum %s listed twice" % (where, name))
                facts["enums"][name] = {"tag": m.group(2) or "", "values": {},
                                        "value_tags": {}}
                cur = ("enum", name)
                continue
            if cur is None:
                raise WireError("%s: line outside any block: %r" % (where, line))
            kind, owner = cur
            if kind == "service":
                m = RE_RPC.match(line)
                if not m:
                    raise WireError("%s: cannot parse rpc line: %r" % (where, line))
                facts["services"][owner].append(
                    (m.group(1), m.group(2), m.group(3), m.group(4) or ""))
            elif kind == "message":
                m = RE_FIELD.match(line)
                if not m:
                    raise WireError("%s: cannot parse field line: %r" % (where, line))
                num, name, rep, ftype, opt, tag = m.groups()
                num = int(num)
                tag = tag or ""
                label = "repeated" if rep else ("optional" if opt else "")
                conflict = None
                cm = RE_CONFLICT_TAG.match(tag)
                if cm:
                    conflict = cm.groups()  # master name, master type, pr name, pr type
                    name, ftype = conflict[2], conflict[3]
                elif tag.startswith("[CONFLICT"):
                    raise WireError("%s: cannot parse conflict tag %r" % (where, tag))
                fields = facts["messages"][owner]["fields"]
                if num in fields:
                    raise WireError("%s: %s field number %d listed twice" % (where, owner, num))
                fields[num] = {"name": name, "type": ftype, "label": label,
                               "tag": tag, "conflict": conflict}
            else:
                m = RE_ENUMVAL.match(line)
                if not m:
                    raise WireError("%s: cannot parse enum value line: %r" % (where, line))
                values = facts["enums"][owner]["values"]
                if m.group(2) in values:
                    raise WireError("%s: %s value %s listed twice" % (where, owner, m.group(2)))
                values[m.group(2)] = int(m.group(1))
                facts["enums"][owner]["value_tags"][m.group(2)] = m.group(3) or ""
    if facts["file"] is None:
        raise WireError("%s: no '# wire facts ... file X' header" % path)
    return facts


def load_wire(wire_dir):
    files = sorted(glob.glob(os.path.join(wire_dir, "*.txt")))
    files = [f for f in files if os.path.basename(f) != "CONFLICTS.txt"]
    if not files:
        raise WireError("no wire facts (*.txt) in %s" % wire_dir)
    conflicts = parse_conflicts(os.path.join(wire_dir, "CONFLICTS.txt"))
    wire = {}
    for f in files:
        facts = parse_wire_file(f)
        if facts["file"] in wire:
            raise WireError("two wire files describe %s" % facts["file"])
        wire[facts["file"]] = facts
    # Apply CONFLICTS.txt: the PR #37 name and type win.
    used = set()
    for facts in wire.values():
        for mname, msg in facts["messages"].items():
            for num, fld in msg["fields"].items():
                c = conflicts.get((mname, num))
                if c is None:
                    continue
                used.add((mname, num))
                pname, ptype = c[0], c[1]
                if fld["conflict"] and (fld["conflict"][2], fld["conflict"][3]) != (pname, ptype):
                    raise WireError("%s field %d: inline conflict tag says pr37 %s %s, "
                                    "CONFLICTS.txt says %s %s" % (mname, num, fld["conflict"][2],
                                                                  fld["conflict"][3], pname, ptype))
                fld["name"], fld["type"] = pname, ptype
                fld["conflict"] = (c[2], c[3], pname, ptype)
    for key in conflicts:
        if key not in used:
            raise WireError("CONFLICTS.txt names %s field %d, which no wire file lists" % key)
    return wire, conflicts


# --------------------------------------------------------------------------
# descriptors
# --------------------------------------------------------------------------

def type_name_map():
    from google.protobuf import descriptor_pb2 as d
    F = d.FieldDescriptorProto
    return {
        F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64",
        F.TYPE_UINT64: "uint64", F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64",
        F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool", F.TYPE_STRING: "string",
        F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
        F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
    }


def compile_descriptors(proto_dir, protoc):
    from google.protobuf import descriptor_pb2
    protos = sorted(os.path.relpath(p, proto_dir)
                    for p in glob.glob(os.path.join(proto_dir, "*", "*.proto")))
    if not protos:
        raise WireError("no */*.proto files under %s" % proto_dir)
    with tempfile.TemporaryDirectory(prefix="stratus-check-wire-") as tmp:
        out = os.path.join(tmp, "set.pb")
        cmd = [protoc, "-I" + proto_dir, "--include_imports",
               "--descriptor_set_out=" + out] + protos
        res = subprocess.run(cmd, cwd=proto_dir, capture_output=True, text=True)
        if res.returncode != 0:
            raise WireError("protoc failed (%s):\n%s" % (" ".join(cmd), res.stderr))
        if res.stderr.strip():
            print("protoc warnings:\n" + res.stderr.rstrip())
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as fh:
            fds.ParseFromString(fh.read())
    return fds, protos


def load_descriptor_set(path):
    from google.protobuf import descriptor_pb2
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as fh:
        fds.ParseFromString(fh.read())
    return fds


def rel_type(type_name, package):
    """'.v1.Foo.Bar' -> 'Foo.Bar' (None if outside the package)."""
    prefix = "." + package + "."
    if type_name.startswith(prefix):
        return type_name[len(prefix):]
    return None


def flatten_file(fdp):
    """FileDescriptorProto -> (messages, enums, services) keyed by dotted name."""
    tnames = type_name_map()
    messages, enums, services = {}, {}, {}

    def field_type(f):
        if f.type_name:
            t = rel_type(f.type_name, fdp.package)
            return t if t is not None else f.type_name
        return tnames.get(f.type, "?%d" % f.type)

    def walk_enum(e, prefix):
        name = prefix + e.name
        enums[name] = {v.name: v.number for v in e.value}

    def walk_msg(m, prefix):
        name = prefix + m.name
        info = {"fields": {}, "map_entry": m.options.map_entry, "bad_oneofs": [],
                "duplicates": []}
        for f in m.field:
            label = ""
            if f.label == f.LABEL_REPEATED:
                label = "repeated"
            elif f.HasField("oneof_index"):
                oneof = m.oneof_decl[f.oneof_index]
                members = [g.name for g in m.field
                           if g.HasField("oneof_index") and g.oneof_index == f.oneof_index]
                if oneof.name == "_" + f.name and members == [f.name]:
                    label = "optional"
                else:
                    label = "oneof:" + oneof.name
            elif f.label == f.LABEL_REQUIRED:
                label = "required"
            if f.number in info["fields"]:
                info["duplicates"].append(f.number)
            info["fields"][f.number] = {"name": f.name, "type": field_type(f),
                                        "label": label}
        messages[name] = info
        for n in m.nested_type:
            walk_msg(n, name + ".")
        for e in m.enum_type:
            walk_enum(e, name + ".")

    for m in fdp.message_type:
        walk_msg(m, "")
    for e in fdp.enum_type:
        walk_enum(e, "")
    for s in fdp.service:
        rpcs = []
        for r in s.method:
            rpcs.append((r.name, rel_type(r.input_type, fdp.package) or r.input_type,
                         rel_type(r.output_type, fdp.package) or r.output_type,
                         r.client_streaming, r.server_streaming))
        services[s.name] = rpcs
    return messages, enums, services


# --------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------

def label_text(label):
    return {"repeated": "repeated", "optional": "[optional]", "": "singular"}.get(label, label)


def compare(wire, fds, counts, problems):
    by_name = {f.name: f for f in fds.file}

    def bad(where, text):
        problems.append("%s: %s" % (where, text))

    for fname in sorted(wire):
        facts = wire[fname]
        fdp = by_name.get(fname)
        if fdp is None:
            bad(fname, "missing: no such .proto file in our tree")
            continue
        if fdp.package != facts["package"]:
            bad(fname, "package is %r, wire facts say %r" % (fdp.package, facts["package"]))
        if fdp.syntax != "proto3":
            bad(fname, "syntax is %r, want proto3" % (fdp.syntax or "proto2"))
        d_msgs, d_enums, d_svcs = flatten_file(fdp)
        counts["files"] += 1

        # services and rpcs
        for sname, rpcs in facts["services"].items():
            counts["services"] += 1
            if sname not in d_svcs:
                bad(fname, "service %s missing" % sname)
                continue
            d_rpcs = {r[0]: r for r in d_svcs[sname]}
            for rname, rin, rout, _tag in rpcs:
                counts["rpcs"] += 1
                where = "%s: rpc %s.%s" % (fname, sname, rname)
                if rname not in d_rpcs:
                    problems.append(where + ": missing")
                    continue
                _, din, dout, cs, ss = d_rpcs[rname]
                if din != rin:
                    problems.append("%s: input type %s, want %s" % (where, din, rin))
                if dout != rout:
                    problems.append("%s: output type %s, want %s" % (where, dout, rout))
                if cs or ss:
                    problems.append(where + ": streaming, want unary")
            for rname in sorted(set(d_rpcs) - {r[0] for r in rpcs}):
                bad(fname, "rpc %s.%s extra (not in wire facts)" % (sname, rname))
        for sname in sorted(set(d_svcs) - set(facts["services"])):
            bad(fname, "service %s extra (not in wire facts)" % sname)

        # messages and fields
        map_entries = set()
        for mname, msg in facts["messages"].items():
            counts["messages"] += 1
            if "." in mname:
                counts["nested messages"] += 1
            if mname not in d_msgs:
                bad(fname, "message %s missing" % mname)
                continue
            dmsg = d_msgs[mname]
            if dmsg["map_entry"]:
                bad(fname, "message %s is a map entry, wire facts list it as a message" % mname)
            for num in dmsg["duplicates"]:
                bad(fname, "%s: field number %d used twice" % (mname, num))
            for num, fld in sorted(msg["fields"].items()):
                counts["fields"] += 1
                where = "%s: %s field %d (%s)" % (fname, mname, num, fld["name"])
                dfld = dmsg["fields"].get(num)
                if dfld is None:
                    problems.append(where + ": missing")
                    continue
                if dfld["name"] != fld["name"]:
                    problems.append("%s: named %s" % (where, dfld["name"]))
                want_type = fld["type"]
                entry = d_msgs.get(dfld["type"]) if dfld["type"] == want_type else None
                is_map = (fld["label"] == "repeated" and want_type not in SCALARS
                          and want_type not in facts["messages"]
                          and want_type.endswith("Entry"))
                if is_map:
                    map_entries.add(want_type)
                    if entry is None or not entry["map_entry"]:
                        problems.append("%s: want map field (entry %s), got %s %s"
                                        % (where, want_type, label_text(dfld["label"]),
                                           dfld["type"]))
                        continue
                    counts["map fields"] += 1
                    k = entry["fields"].get(1, {}).get("type")
                    v = entry["fields"].get(2, {}).get("type")
                    want_kv = KNOWN_MAP_ENTRIES.get(want_type)
                    if want_kv and (k, v) != want_kv:
                        problems.append("%s: map<%s,%s>, want map<%s,%s>"
                                        % (where, k, v, want_kv[0], want_kv[1]))
                    elif not want_kv:
                        problems.append("%s: map<%s,%s> has no known key/value types "
                                        "(add it to KNOWN_MAP_ENTRIES)" % (where, k, v))
                    continue
                if dfld["type"] != want_type:
                    problems.append("%s: type %s, want %s%s" % (
                        where, dfld["type"], want_type,
                        " (CONFLICT: PR #37 type wins)" if fld["conflict"] else ""))
                if dfld["label"] != fld["label"]:
                    problems.append("%s: %s, want %s" % (where, label_text(dfld["label"]),
                                                         label_text(fld["label"])))
            for num in sorted(set(dmsg["fields"]) - set(msg["fields"])):
                bad(fname, "%s field %d (%s) extra (not in wire facts)"
                    % (mname, num, dmsg["fields"][num]["name"]))
        for mname in sorted(set(d_msgs) - set(facts["messages"])):
            if d_msgs[mname]["map_entry"] and mname in map_entries:
                continue
            bad(fname, "message %s extra (not in wire facts)" % mname)

        # enums
        for ename, enum in facts["enums"].items():
            counts["enums"] += 1
            if ename not in d_enums:
                bad(fname, "enum %s missing" % ename)
                continue
            dvals = d_enums[ename]
            for vname, vnum in enum["values"].items():
                counts["enum values"] += 1
                if vname not in dvals:
                    bad(fname, "enum %s value %s (= %d) missing" % (ename, vname, vnum))
                elif dvals[vname] != vnum:
                    bad(fname, "enum %s value %s = %d, want %d" % (ename, vname, dvals[vname], vnum))
            for vname in sorted(set(dvals) - set(enum["values"])):
                bad(fname, "enum %s value %s extra (not in wire facts)" % (ename, vname))
        for ename in sorted(set(d_enums) - set(facts["enums"])):
            bad(fname, "enum %s extra (not in wire facts)" % ename)

    for f in fds.file:
        if f.name not in wire and not f.name.startswith("google/"):
            problems.append("%s: extra .proto file (no wire facts describe it)" % f.name)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wire", default=os.path.join(repo, "..", "shared", "reference", "wire"),
                    help="wire facts directory (default: ../shared/reference/wire "
                         "relative to the repo root)")
    ap.add_argument("--proto-dir", default=os.path.join(repo, "proto", "v1"),
                    help="root of our .proto tree (default: <repo>/proto/v1)")
    ap.add_argument("--protoc", default=None, help="protoc binary (default: from PATH)")
    ap.add_argument("--descriptor-set", default=None,
                    help="use this FileDescriptorSet (built with --include_imports) "
                         "instead of running protoc")
    args = ap.parse_args(argv)

    wire_dir = os.path.normpath(args.wire)
    if not os.path.isdir(wire_dir):
        print("check_wire: wire facts directory %s not found; skipping" % wire_dir)
        return SKIP

    try:
        wire, conflicts = load_wire(wire_dir)
        if args.descriptor_set:
            fds = load_descriptor_set(args.descriptor_set)
        else:
            protoc = args.protoc or shutil.which("protoc")
            if not protoc:
                print("check_wire: protoc not found", file=sys.stderr)
                return 2
            fds, _ = compile_descriptors(os.path.normpath(args.proto_dir), protoc)
    except WireError as exc:
        print("check_wire: error: %s" % exc, file=sys.stderr)
        return 2

    counts = dict.fromkeys(["files", "services", "rpcs", "messages", "nested messages",
                            "fields", "map fields", "enums", "enum values"], 0)
    problems = []
    compare(wire, fds, counts, problems)

    print("check_wire: wire facts from %s (%d conflicts applied, PR #37 wins)"
          % (wire_dir, len(conflicts)))
    print("checked: " + ", ".join("%d %s" % (v, k) for k, v in counts.items()))
    if problems:
        print("MISMATCHES (%d):" % len(problems))
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: our protos match the wire facts exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
