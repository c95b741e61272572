from django.core.management.base import BaseCommand, CommandError

from audits.trail import verify


class Command(BaseCommand):
    help = "Walk the hash chain of the audit trail and report the first tampered or missing entry."

    def handle(self, *args, **options):
        checked, problem = verify()
        if problem:
            raise CommandError(
                f"Audit trail broken at entry #{problem.entry_id}: {problem.kind} ({problem.detail}); "
                f"{checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checked} entries, chain unbroken."))
