"""50 clients invite, accept and leave at once into the same few groups,
across three realms. Afterwards no group is over its size, no character is
in two groups, every pointer row matches a roster row, and replaying the
events gives the rosters the databases hold."""

import random
import threading
import unittest

import grpc

from groupenv import GroupCase, code_of, pb, scoped

LEADERS = [(1, g) for g in range(1, 6)]
JOINERS = ([(1, g) for g in range(6, 36)] + [(2, g) for g in range(1, 11)] +
           [(3, g) for g in range(1, 11)])
ROUNDS = 12


class Race(GroupCase):
    CHARACTERS = {1: 40, 2: 10, 3: 10}

    def client(self, me, seed, errors):
        rng = random.Random(seed)
        channel = grpc.insecure_channel(self.d.grpc_target)
        stub = pb_stub(channel)
        realm, low = me
        wire = low if realm == 1 else scoped(realm, low)
        allowed = {grpc.StatusCode.OK, grpc.StatusCode.FAILED_PRECONDITION,
                   grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ABORTED}
        for _ in range(ROUNDS):
            leader = rng.choice(LEADERS)[1]
            calls = [(stub.Invite, pb.InviteParams(realmID=1, inviter=leader, invited=wire)),
                     (stub.AcceptInvite, pb.AcceptInviteParams(realmID=realm, player=low))]
            if rng.random() < 0.3:
                calls.append((stub.Leave, pb.GroupLeaveParams(realmID=realm, player=low)))
            for fn, req in calls:
                code, details = code_of(fn, req)
                if code not in allowed:
                    errors.append((me, fn._method, code, details))
        channel.close()

    def roster_db(self):
        """{(home, gid): {(realm, low)}} from the three databases."""
        out = {}
        for gid, low in self.world.query(1, "SELECT guid, memberGuid FROM group_member"):
            out.setdefault((1, gid), set()).add((1, low))
        for gid, realm, low in self.world.query(
                1, "SELECT guid, memberRealm, memberGuid FROM stratus_group_member_foreign"):
            out.setdefault((1, gid), set()).add((realm, low))
        return out

    def roster_events(self):
        """The rosters the events add up to. Two commits of one group moments
        apart may be published in either order (plugins/group/README.md), so
        each (group, member) is counted (+1 created or added, -1 left) rather
        than replayed in arrival order; group ids are never reused."""
        counts, disbanded = {}, set()

        def who(guid):
            return (guid >> 32, guid & 0xFFFFFFFF) if guid >> 32 else (1, guid)

        def add(key, member, n):
            group = counts.setdefault(key, {})
            group[member] = group.get(member, 0) + n

        self.events.pull(1.0)
        for subject, p in self.events.seen:
            key = (p.get("RealmID"), p.get("GroupID"))
            if subject == "group.created":
                for m in p["Members"]:
                    add(key, who(m["MemberGUID"]), 1)
            elif subject == "group.member.added":
                add(key, who(p["MemberGUID"]), 1)
            elif subject == "group.member.left":
                add(key, who(p["MemberGUID"]), -1)
            elif subject == "group.disband":
                disbanded.add(key)
        for key, group in counts.items():
            self.assertTrue(all(n in (0, 1) for n in group.values()), (key, group))
        return {key: {m for m, n in group.items() if n == 1} for key, group in counts.items()
                if key not in disbanded and any(group.values())}

    def test_fifty_clients(self):
        errors = []
        threads = [threading.Thread(target=self.client, args=(me, i, errors))
                   for i, me in enumerate(JOINERS[:45] + [(1, 36), (1, 37), (1, 38), (1, 39),
                                                          (1, 40)])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        db = self.roster_db()
        self.assertTrue(db, "no group formed")
        for key, members in db.items():
            self.assertLessEqual(len(members), 5, key)
            self.assertGreaterEqual(len(members), 2, key)
        everyone = [m for members in db.values() for m in members]
        self.assertEqual(len(everyone), len(set(everyone)), "a character in two groups")
        pointers = set()
        for realm in (1, 2, 3):
            for low, grealm, gid in self.world.query(
                    realm, "SELECT memberGuid, groupRealm, groupId FROM stratus_group_player"):
                pointers.add(((realm, low), (grealm or realm, gid)))
        self.assertEqual(pointers, {(m, key) for key, members in db.items() for m in members})
        self.assertEqual(self.roster_events(), db)


def pb_stub(channel):
    from groupenv import pbg
    return pbg.GroupServiceStub(channel)


if __name__ == "__main__":
    unittest.main()
