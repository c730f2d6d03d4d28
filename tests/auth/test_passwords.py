import pytest
from argon2 import Type, extract_parameters

from finplat.auth.passwords import check_password, hash_password


@pytest.mark.real_argon2
def test_production_hashes_are_argon2id_with_owasp_strength():
    stored = hash_password("a long enough password")
    params = extract_parameters(stored)
    assert params.type is Type.ID
    # OWASP's floor for argon2id: m >= 19 MiB with t >= 2 (or stronger)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert check_password(stored, "a long enough password")
    assert not check_password(stored, "a long enough passworD")


def test_unknown_user_and_garbage_hashes_do_not_verify():
    assert not check_password(None, "anything at all")
    assert not check_password("not-a-hash", "anything at all")
