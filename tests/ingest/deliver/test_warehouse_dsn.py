"""What a PostgreSQL warehouse's DSN may say (dsn.py): what libpq would take from the
worker's environment, and the product's own database, refused even where private
networks are allowed. The attacks themselves: tests/security/test_destination_attacks.py."""

from unittest import mock

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from ingest.deliver.destinations import build
from ingest.deliver.destinations.base import DeliveryError
from ingest.deliver.destinations.warehouse import PostgresWarehouse
from ingest.deliver.destinations.warehouse.dsn import LEFT_TO_LIBPQ, NOWHERE, Dsn
from ingest.models import Destination

PRODUCT = {"host": "127.0.0.1", "port": "5432", "name": "functions_ide"}


def parameters(dsn: str) -> dict:
    return conninfo_to_dict(Dsn.parse(dsn).parameters(allow_private=True))


def test_every_parameter_libpq_reads_from_the_environment_is_given():
    given = parameters("host=127.0.0.1 user=loader dbname=warehouse")
    from_environment = {
        option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults() if option.envvar
    }

    assert from_environment - set(given) == LEFT_TO_LIBPQ
    assert given["password"] == "" and given["passfile"] == NOWHERE
    assert given["sslcertmode"] == "disable" and given["hostaddr"] == "127.0.0.1"


def test_verify_full_checks_the_server_against_the_systems_authorities():
    given = parameters("host=127.0.0.1 user=loader dbname=warehouse sslmode=verify-full")

    assert given["sslrootcert"] == "system" and given["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    "dsn",
    [
        "host=127.0.0.1 port=5432 user=postgres dbname=functions_ide",
        "postgresql://postgres@localhost/functions_ide",
    ],
)
def test_the_products_own_database_is_refused_where_private_networks_are_allowed(dsn):
    config = {"allow_private_network": True, "product_database": PRODUCT}
    with mock.patch("psycopg.connect") as connect, pytest.raises(DeliveryError) as caught:
        PostgresWarehouse(config, {"dsn": dsn}).check()

    assert "this product's own database" in str(caught.value) and caught.value.permanent
    assert connect.call_count == 0


def test_another_database_of_the_same_server_is_not_the_products():
    config = {"allow_private_network": True, "product_database": PRODUCT}
    dsn = "host=127.0.0.1 user=postgres dbname=warehouse"
    with mock.patch("psycopg.connect", side_effect=psycopg.OperationalError("reached")) as connect:
        with pytest.raises(DeliveryError):
            PostgresWarehouse(config, {"dsn": dsn}).check()

    assert connect.call_count == 1


def test_the_deliver_stage_says_which_database_is_the_products():
    # Not through the settings fixture: Django warns that DATABASES overridden in a
    # test may misbehave; only the deliver stage's reading of it is replaced here.
    deployment = mock.patch(
        "ingest.deliver.destinations.settings",
        DESTINATIONS_ALLOW_PRIVATE_NETWORK=False,
        DATABASES={
            "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "fi", "HOST": "db"}
        },  # fmt: skip
    )
    destination = Destination(kind="postgres", config={}, credentials={"dsn": "host=x user=y"})

    with deployment:
        config = build(destination).config

    assert config["product_database"] == {"host": "db", "port": 5432, "name": "fi"}
    assert config["allow_private_network"] is False
