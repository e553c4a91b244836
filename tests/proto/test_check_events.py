"""check_events.py must notice each kind of difference: run it on copies of
the catalogue with one change each (skipped without ../shared/reference)."""

import io
import os
import contextlib
import tempfile
import unittest

import check_events

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE = os.path.join(HERE, "..", "..", "sdk", "events", "catalogue.txt")
REFERENCE = os.path.join(HERE, "..", "..", "..", "shared", "reference")


@unittest.skipUnless(os.path.isdir(REFERENCE), "no ../shared/reference")
class Mutations(unittest.TestCase):
    def run_on(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = check_events.main(["--catalogue", f.name, "--reference", REFERENCE])
        return rc, out.getvalue()

    def mutated(self, old, new, want):
        text = check_events.read(CATALOGUE)
        self.assertIn(old, text)
        rc, out = self.run_on(text.replace(old, new, 1))
        self.assertEqual(rc, 1, out)
        self.assertIn(want, out)

    def test_unchanged_passes(self):
        rc, out = self.run_on(check_events.read(CATALOGUE))
        self.assertEqual(rc, 0, out)

    def test_type_number(self):
        self.mutated("event mail.incoming 1 envelope", "event mail.incoming 2 envelope",
                     "mail.incoming: type 1 in the reference, 2 in the catalogue")

    def test_subject(self):
        self.mutated("event group.disband 5", "event group.disbanded 5",
                     "group.disband: in the reference, not in the catalogue")

    def test_field_name(self):
        self.mutated("  SenderChatTag u8\n  ReceiverRealmID", "  SenderChatTags u8\n  ReceiverRealmID",
                     "chat.gw.*.income.whisper: field SenderChatTag (reference) missing")

    def test_field_type(self):
        self.mutated("  CharPosX f32", "  CharPosX f64", "gw.char.logged-in.CharPosX: reference type f32")

    def test_extra_field(self):
        self.mutated("  MailID u32", "  MailID u32\n  Subject str",
                     "mail.incoming: catalogue field Subject is not in the reference")

    def test_nested_field(self):
        self.mutated("  SpellID u32", "  Spell u32", "Auras: field SpellID (reference) missing")

    def test_omitempty(self):
        self.mutated("  DungeonDifficulty u8?", "  DungeonDifficulty u8",
                     "omitempty in the reference")

    def test_form(self):
        self.mutated("event auctionhouse.auction.expired - raw", "event auctionhouse.auction.expired 4 envelope",
                     "auctionhouse.auction.expired: form raw in the reference")


if __name__ == "__main__":
    unittest.main()
