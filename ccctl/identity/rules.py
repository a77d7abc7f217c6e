"""A tenant's matching rules (the ``customers:`` section of its YAML), with the documented defaults."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccctl.contacts import name_key

# Columns that are the person's name or contact points, never plain attributes.
NAME_KEYS = ("name",)
EMAIL_KEYS = ("email", "emails", "mail")
PHONE_KEYS = ("phone", "phones", "mobile", "telephone")
RESERVED = set(NAME_KEYS + EMAIL_KEYS + PHONE_KEYS)
ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class CustomerRules(BaseModel):
    """How rows and events are matched to customers.

    Order: an external key (a column naming the customer in the client's own system) wins;
    then email; then phone, and a phone alone never joins two people whose names differ.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Attribute columns that identify a customer on their own (the client's customer or policy number).
    external_keys: list[str] = ["customer_ref"]
    match_email: bool = True
    match_phone: bool = True
    # Further attributes `customer find --attr KEY=VALUE` looks up through an index.
    indexed: list[str] = []
    # File column → field, applied by `customer import` before `--map` (e.g. {"Nom": "name"}).
    import_map: dict[str, str] = {}
    # `customer duplicates`: name similarity (0-100, rapidfuzz) from which a name counts as a signal.
    name_similarity: int = Field(default=90, ge=50, le=100)

    @field_validator("external_keys", "indexed")
    @classmethod
    def _attribute_names(cls, value: list[str]) -> list[str]:
        for key in value:
            if key in RESERVED or not ATTRIBUTE.match(key):
                raise ValueError(f"'{key}' cannot be an attribute key (letters, digits, _ . -; not a contact field)")
        return list(dict.fromkeys(value))

    @field_validator("import_map")
    @classmethod
    def _map_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for column, target in value.items():
            if not ATTRIBUTE.match(target):
                raise ValueError(f"import_map: '{column}' maps to '{target}', not a field name")
        return value

    @property
    def index_keys(self) -> list[str]:
        """Every attribute kept in the lookup index: external keys first."""
        return list(dict.fromkeys(self.external_keys + self.indexed))


def rules_for(tenant) -> CustomerRules:
    """The tenant's rules (validated when the YAML was applied), defaults where it says nothing."""
    return CustomerRules.model_validate((tenant.config or {}).get("customers") or {})


def same_name(a: str, b: str) -> bool:
    """True when either is empty or they differ only by case, accents, spacing or punctuation."""
    return not a or not b or name_key(a) == name_key(b)
