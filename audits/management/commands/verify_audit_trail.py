from django.core.management.base import BaseCommand, CommandError

from audits.trail import unsealed, verify


class Command(BaseCommand):
    help = (
        "Seal the committed entries of the audit trail, walk its hash chain in chain order (seq) and report the "
        "first tampered, missing or reordered entry."
    )

    def handle(self, *args, **options):
        checked, problem = verify()
        if problem:
            raise CommandError(
                f"Audit trail broken at entry #{problem.entry_id}: {problem.kind} ({problem.detail}; chain number "
                f"{problem.seq}); {checked} entries before it are intact."
            )
        waiting = unsealed()  # written since the seal above: sealed by the next commit or the beat task
        after = f"; {waiting} written since, not yet sealed" if waiting else ""
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checked} entries, chain unbroken{after}."))
