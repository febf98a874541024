"""`PasswordHasher`: scrypt hashes that verify, resist mismatches and describe themselves."""

from __future__ import annotations

import pytest

from reference_impl.auth.passwords import PasswordHasher, ScryptParams

from .service import FAST_SCRYPT


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    hasher = PasswordHasher(FAST_SCRYPT)

    stored = hasher.hash("correct horse battery staple")

    assert hasher.verify("correct horse battery staple", stored)
    assert not hasher.verify("correct horse battery stapler", stored)


def test_hashes_are_salted_and_never_contain_the_password() -> None:
    hasher = PasswordHasher(FAST_SCRYPT)

    first, second = hasher.hash("s3cret-pass"), hasher.hash("s3cret-pass")

    assert first != second
    assert "s3cret-pass" not in first


def test_the_default_parameters_are_written_into_the_hash() -> None:
    stored = PasswordHasher().hash("a password")

    assert stored.startswith("$scrypt$ln=14,r=8,p=1$")
    assert PasswordHasher(FAST_SCRYPT).verify("a password", stored)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "plaintext",
        "$2a$10$abcdefghijklmnopqrstuv",
        "$scrypt$ln=99,r=8,p=1$c2FsdA$aGFzaA",
        "$scrypt$x$y$z",
    ],
)
def test_a_missing_or_foreign_hash_never_matches(stored: str | None) -> None:
    assert not PasswordHasher(FAST_SCRYPT).verify("plaintext", stored)


def test_cost_parameters_must_be_positive() -> None:
    with pytest.raises(ValueError, match="log2_n"):
        ScryptParams(log2_n=0)
