"""Load deterministic demo data: a staff login, customers, catalogue, orders."""

from django.core.management.base import BaseCommand, CommandError

from shop.users.models import User
from shop.users.services import user_make_staff

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_PASSWORD = "shop-demo-password"


class Command(BaseCommand):
    help = (
        "Load deterministic demo data. Refuses to run on a database that already "
        "holds users unless --if-empty (do nothing then) is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the demo logins) if the database holds data.",
        )

    def handle(self, *args, if_empty, **options):
        if User.objects.exists():
            if not if_empty:
                raise CommandError("The database is not empty; use --if-empty.")
            self.stdout.write("Database already holds data; nothing loaded.")
        else:
            staff = User.objects.create_user(
                email=DEMO_STAFF_EMAIL,
                password=DEMO_PASSWORD,
                username="staff",
                first_name="Sam",
                last_name="Staff",
            )
            user_make_staff(user=staff)
            User.objects.create_user(
                email=DEMO_CUSTOMER_EMAIL,
                password=DEMO_PASSWORD,
                username="customer",
                first_name="Casey",
                last_name="Customer",
            )
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            f"Staff login (admin at /admin/): {DEMO_STAFF_EMAIL} / {DEMO_PASSWORD}\n"
            f"Customer login: {DEMO_CUSTOMER_EMAIL} / {DEMO_PASSWORD}"
        )
