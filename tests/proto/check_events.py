#!/usr/bin/python3
"""Check the event catalogue (sdk/events/catalogue.txt) against ToCloud9's
event facts: tocloud9.md §3.2 (master) and pr37.md §1.9 (PR #37).

The references describe each subject in prose, lists and tables. This script
reads them into {subject: (t, raw, fields)} and compares both ways:

  * the same subjects (a `<gatewayID>` or `ALL` token of the reference is the
    catalogue's `*`);
  * the same type number (`t`), and the raw form exactly where the reference
    gives no envelope (the auction house);
  * every field the reference names exists in the catalogue, with the
    reference's JSON type when it gives one (u8, u32, []u64, ...) and
    omitempty when it writes `Name?`; nested field lists ({...}) are checked
    against the catalogue's struct the same way, in both directions;
  * every top-level catalogue field is named by the reference, counting the
    prefixes the reference states once per family (group: ServiceID,
    RealmID; guild: the generic part; PR #37's `…`: ServiceID, RealmID,
    GroupID) and PR #37's "added fields" table; IMPLICIT lists the few the
    reference leaves out, with the reason.

Field order is not compared: the references list PR #37's additions after
the old fields, while the Go structs (and the catalogue) place them inside.

Exit status: 0 all good, 1 mismatches, 2 usage/parse error, 77 when the
reference directory is missing (skipped, as check_wire.py).
"""

import argparse
import os
import re
import sys

SKIP = 77
TYPES = {"u8", "u32", "u64", "i32", "i64", "f32", "f64", "str", "bool"}
ALIASES = {"string": "str"}

# Catalogue fields the reference's prose does not name, and why.
IMPLICIT = {
    # pr37.md lists these two from SourceGatewayID on, without the group
    # prefix every other group payload has (Go: GroupEventMemberState*).
    "group.member.state.changed": {"ServiceID", "RealmID", "GroupID"},
    "group.member.states.changed": {"ServiceID", "RealmID", "GroupID"},
}

# pr37.md's "Changed payloads" rows name Go events; their subjects.
CHANGED_ROWS = {
    "gateway CharacterLoggedIn / LoggedOut / CharactersUpdates":
        ["gw.char.logged-in", "gw.char.logged-out", "gw.char.chars-updates"],
    "registry `sr` GW-removed-unhealthy payload, characters CharsDisconnectedUnhealthyGW payload":
        ["sr.gw.removed.unhealthy", "char.chars.unhealthy.gw"],
    "chat IncomingWhisper": ["chat.gw.*.income.whisper"],
    "chat ChannelMessage": ["chat.gw.*.channel.message"],
    "chat ChannelJoined / ChannelLeft": ["chat.gw.*.channel.joined", "chat.gw.*.channel.left"],
    "chat ChannelNotification": ["chat.gw.*.channel.notify"],
    "group GroupCreated": ["group.created"],
    "group / guild NewChatMessage": ["group.message.new", "guild.message.new"],
}
SHORT_NAMES = {"CharactersUpdates": "gw.char.chars-updates", "ChannelLeft": "chat.gw.*.channel.left"}


class RefError(Exception):
    pass


class Field:
    def __init__(self, name, typ=None, omit=False, nested=None):
        self.name, self.typ, self.omit, self.nested = name, typ, omit, nested

    def __repr__(self):
        return "%s%s %s" % (self.name, "?" if self.omit else "", self.typ)


# ---------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_catalogue(path):
    events, structs, cur = {}, {}, None
    for lineno, line in enumerate(read(path).splitlines(True), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        if line[0] in " \t":
            name, typ = words
            omit = typ.endswith("?")
            cur.append(Field(name, typ.rstrip("?"), omit))
        elif words[0] == "event":
            cur = []
            events[words[1]] = (None if words[2] == "-" else int(words[2]), words[3] == "raw", cur)
        elif words[0] == "struct":
            cur = structs[words[1]] = []
        else:
            raise RefError("%s:%d: cannot read %r" % (path, lineno, line))
    return events, structs


# ---------------------------------------------------------------------------
# the references
# ---------------------------------------------------------------------------

def section(text, start, end):
    i = text.find(start)
    j = text.find(end, i + 1)
    if i < 0 or j < 0:
        raise RefError("section %r not found" % start)
    return text[i:j]


def split_top(s, seps=","):
    """Split at separators outside (), [], {}."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch in seps and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x.strip() for x in out if x.strip()]


def cut_sentence(s):
    """The field list ends at the first '. ' (or final '.') outside brackets."""
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "." and depth == 0 and (i + 1 == len(s) or s[i + 1] == " "):
            return s[:i]
    return s


def strip_parens(s):
    """Drop (...) notes; return (text, [notes])."""
    notes = re.findall(r"\(([^()]*)\)", s)
    return re.sub(r"\s*\([^()]*\)", "", s), notes


def parse_item(item):
    """One list item -> [Field] (A/B/C u8 gives three)."""
    item = item.replace("`", "").replace("*", "").strip()
    if item in ("…", "...") or not item:
        return []
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_/]*)(\?)?(\[\])?\s*(.*)$", item, re.S)
    if not m:
        raise RefError("cannot read field %r" % item)
    names, omit, arr, rest = m.group(1), bool(m.group(2)), bool(m.group(3)), m.group(4)
    nested, typ = None, None
    brace = re.match(r"^(?:of\s*)?\[?\{(.*)\}\]?$", rest, re.S)
    if brace and re.match(r'^\s*"', brace.group(1)):           # {"<low>": u8}
        typ = "map:" + brace.group(1).split(":")[-1].strip()
    elif brace:
        nested = parse_list(brace.group(1))
        arr = arr or rest.startswith("[")
        typ = "obj"
    else:
        rest, notes = strip_parens(rest)
        words = rest.split()
        for w in words + [n.strip() for n in notes]:
            w = ALIASES.get(w, w)
            if w in TYPES or (w.startswith("[]") and w[2:] in TYPES):
                typ = w
                break
    if arr and typ and not typ.startswith("[]"):
        typ = "[]" + ("obj" if typ == "obj" else typ)
    elif arr and not typ:
        typ = "[]"
    parts = names.split("/")
    out = []
    for p in parts:
        short = p is not parts[0] and len(p) <= 2 and len(p) < len(parts[0])
        name = parts[0][:-len(p)] + p if short else p  # CharPosX/Y/Z
        out.append(Field(name, typ, omit, nested))
    return out


def parse_list(s):
    if "…" in s.strip() and s.strip() == "…":
        return None
    fields = []
    for item in split_top(s):
        fields += parse_item(item)
    return fields


def add(ref, subject, t, fields, where):
    if subject in ref:
        raise RefError("%s: %s twice" % (where, subject))
    ref[subject] = [t, t is None, fields]


def norm_subject(s):
    s = s.replace("<gatewayID>", "*")
    return re.sub(r"^chat\.gw\.ALL\.", "chat.gw.*.", s)


def parse_master(text, ref):
    sec = section(text, "### 3.2 Subject catalogue", "### 3.3")
    if "Every payload starts with ServiceID and RealmID" not in sec:
        raise RefError("tocloud9.md: the group prefix sentence moved")
    group_prefix = [Field("ServiceID"), Field("RealmID")]
    m = re.search(r"The generic part \(flattened\) is (.*?)\.\n", sec)
    guild_generic = parse_list(m.group(1))
    family = None
    for block in re.split(r"\n(?=- `|\*\*|\| `)", sec):
        if block.startswith("**"):
            family = block
            continue
        b = re.match(r"- `([^`]+)`(?: \(t=(\d+)\))?(.*)", block, re.S)
        if b:
            subject, t, rest = norm_subject(b.group(1)), b.group(2), b.group(3)
            t = int(t) if t else None
            pay = re.search(r"Payload: (.*)", rest, re.S)
            same = re.search(r"Same fields as t=\d+", rest)
            if pay:
                body = pay.group(1)
            elif same:
                body = same.group(0)
            elif rest.startswith(":"):
                body = rest[1:]
            else:
                raise RefError("tocloud9.md: no payload for %s" % subject)
            body = body.replace("\n", " ").strip()
            add(ref, subject, t, bullet_fields(ref, subject, t, body), "tocloud9.md")
            continue
        r = re.match(r"\| `([^`]+)` \| (\d+) \| [^|]* \| (.*) \|", block)
        if r:
            subject, t, body = r.group(1), int(r.group(2)), r.group(3)
            same = re.match(r"same as t=(\d+)", body)
            if same:
                src = [k for k, v in ref.items() if k.split(".")[0] == subject.split(".")[0]
                       and v[0] == int(same.group(1))]
                fields = list(ref[src[0]][2])
            elif body.startswith("Not generic:"):
                fields = parse_list(cut_sentence(body[len("Not generic:"):]))
            elif family and "Group family" in family:
                fields = group_prefix + parse_list(cut_sentence(body))
            else:
                fields = guild_generic + parse_list(cut_sentence(body))
            add(ref, subject, t, fields, "tocloud9.md")


def bullet_fields(ref, subject, t, body):
    same = re.match(r"Same fields as t=(\d+)", body)
    if same:
        fam = subject.split(".")[0]
        src = [k for k, v in ref.items() if k.split(".")[0] == fam and v[0] == int(same.group(1))]
        return list(ref[src[0]][2])
    like = re.match(r"like t=(\d+) minus the (\w+)[^,]*, plus (.*)", body)
    if like:
        fam = subject.split(".")[0]
        src = [k for k, v in ref.items() if k.split(".")[0] == fam and v[0] == int(like.group(1))]
        gone = like.group(2).lower()
        base = [f for f in ref[src[0]][2] if not f.name.lower().startswith(gone)]
        return base + parse_list(cut_sentence(like.group(3)).replace(" and ", ", "))
    obj = re.match(r'`\{"(\w+)":', body)
    if obj:
        return [Field(obj.group(1), "obj")]
    return parse_list(cut_sentence(body))


def parse_pr37(text, ref):
    sec = section(text, "### 1.9 NATS events added or changed", "\n## 2.")
    prefix = [Field("ServiceID"), Field("RealmID"), Field("GroupID")]
    for line in sec.splitlines():
        r = re.match(r"\| `([^`]+)` \| (\d+) \| [^|]* \| (.*) \|\s*$", line)
        if not r:
            continue
        subject, t, body = r.group(1), int(r.group(2)), r.group(3)
        fields = parse_list(body)
        if body.lstrip().startswith("…"):
            fields = prefix + fields
        add(ref, subject, t, fields, "pr37.md")
    changed = sec[sec.find("Changed payloads"):]
    seen = set()
    for line in changed.splitlines():
        r = re.match(r"\| (.+?) \| (.+) \|\s*$", line)
        if not r or r.group(1) in ("event", "---") or set(r.group(1)) <= set("-| "):
            continue
        label, cell = r.group(1).strip(), r.group(2)
        if label not in CHANGED_ROWS:
            raise RefError("pr37.md: changed-payload row %r has no subject mapping" % label)
        seen.add(label)
        apply_changes(ref, CHANGED_ROWS[label], cell)
    missing = set(CHANGED_ROWS) - seen
    if missing:
        raise RefError("pr37.md: changed-payload rows not found: %s" % sorted(missing))


def apply_changes(ref, subjects, cell):
    sentences = [x for part in cell.split(";") for x in split_top(part, ".")]
    for sentence in sentences:
        also = re.match(r"(\w+) also gets `(\w+)`", sentence)
        each = re.match(r"Each character update also carries its own `(\w+)`", sentence)
        if also:
            ref[SHORT_NAMES[also.group(1)]][2].append(Field(also.group(2)))
        elif each:
            upd = [f for f in ref["gw.char.chars-updates"][2] if f.name == "Updates"][0]
            upd.nested.append(Field(each.group(1)))
        else:
            names = [f for item in split_top(strip_parens(sentence)[0])
                     for f in parse_item(item)]
            for s in subjects:
                ref[s][2].extend(Field(f.name) for f in names)


# ---------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------

def type_matches(ref_typ, cat_typ):
    if ref_typ is None:
        return True
    if ref_typ == "[]":
        return cat_typ.startswith("[]")
    if ref_typ == "obj":
        return cat_typ.startswith("obj:")
    if ref_typ == "[]obj":
        return cat_typ.startswith("[]obj:")
    return ref_typ == cat_typ


def struct_of(cat_typ, structs):
    m = re.match(r"^(?:\[\])?obj:(\w+)$", cat_typ)
    return structs.get(m.group(1)) if m else None


def compare_fields(where, ref_fields, cat_fields, structs, problems, both_ways, implicit=()):
    cat = {f.name: f for f in cat_fields}
    named = set()
    for rf in ref_fields:
        named.add(rf.name)
        cf = cat.get(rf.name)
        if not cf:
            problems.append("%s: field %s (reference) missing from the catalogue" % (where, rf.name))
            continue
        if not type_matches(rf.typ, cf.typ):
            problems.append("%s.%s: reference type %s, catalogue %s" % (where, rf.name, rf.typ, cf.typ))
        if rf.omit and not cf.omit:
            problems.append("%s.%s: omitempty in the reference, not in the catalogue" % (where, rf.name))
        if rf.nested is not None:
            st = struct_of(cf.typ, structs)
            if st is None:
                problems.append("%s.%s: reference lists nested fields, catalogue type %s"
                                % (where, rf.name, cf.typ))
            else:
                compare_fields("%s.%s" % (where, rf.name), rf.nested, st, structs, problems, True)
    if both_ways:
        for cf in cat_fields:
            if cf.name not in named and cf.name not in implicit:
                problems.append("%s: catalogue field %s is not in the reference" % (where, cf.name))


def compare(ref, events, structs):
    problems = []
    for subject in sorted(set(ref) - set(events)):
        problems.append("%s: in the reference, not in the catalogue" % subject)
    for subject in sorted(set(events) - set(ref)):
        problems.append("%s: in the catalogue, not in the reference" % subject)
    for subject in sorted(set(ref) & set(events)):
        rt, rraw, rfields = ref[subject]
        ct, craw, cfields = events[subject]
        if rt != ct:
            problems.append("%s: type %s in the reference, %s in the catalogue" % (subject, rt, ct))
        if rraw != craw:
            problems.append("%s: form %s in the reference, %s in the catalogue"
                            % (subject, "raw" if rraw else "envelope", "raw" if craw else "envelope"))
        compare_fields(subject, rfields, cfields, structs, problems, True,
                       IMPLICIT.get(subject, ()))
    return problems


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", default=os.path.join(repo, "..", "shared", "reference"))
    ap.add_argument("--catalogue", default=os.path.join(repo, "sdk", "events", "catalogue.txt"))
    args = ap.parse_args(argv)
    refdir = os.path.normpath(args.reference)
    if not os.path.isdir(refdir):
        print("check_events: reference directory %s not found; skipping" % refdir)
        return SKIP
    try:
        ref = {}
        parse_master(read(os.path.join(refdir, "tocloud9.md")), ref)
        parse_pr37(read(os.path.join(refdir, "pr37.md")), ref)
        events, structs = load_catalogue(args.catalogue)
    except (RefError, OSError, KeyError, IndexError, AttributeError) as exc:
        print("check_events: error: %s" % exc, file=sys.stderr)
        return 2
    problems = compare(ref, events, structs)
    nfields = sum(len(v[2]) for v in ref.values())
    print("check_events: %d subjects, %d reference fields from %s" % (len(ref), nfields, refdir))
    if problems:
        print("MISMATCHES (%d):" % len(problems))
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: the catalogue matches tocloud9.md §3.2 and pr37.md §1.9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
