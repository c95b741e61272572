from django.core.management.base import BaseCommand

from catalog.demo import DEMO_PASSWORD, LOGINS, load_demo


class Command(BaseCommand):
    help = "Load the demo organisations and one login per role. Safe to run again."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {result['units']} units."))
        if result["users_created"]:
            self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
            for username, role, _path, display in LOGINS:
                self.stdout.write(f"  {username:<12} {role.label:<28} {display}")
