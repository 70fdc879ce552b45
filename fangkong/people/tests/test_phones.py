import pytest

from fangkong.lib.phones import PhoneError, normalise_phone


@pytest.mark.parametrize(("text", "stored"), [
    ("13800135678", "13800135678"),
    ("+86 138-0013-5678", "13800135678"),
    ("０７３１－８４１２３４５６", "0731-84123456"),
    ("(0731) 8412 3456", "0731-84123456"),
])
def test_mobiles_and_landlines_get_one_stored_form(text, stored):
    assert normalise_phone(text) == stored


@pytest.mark.parametrize("text", ["12345", "12800135678", "13800135678/13900135679", "+1 202 555 0100"])
def test_what_is_not_one_mainland_number_is_refused(text):
    with pytest.raises(PhoneError):
        normalise_phone(text)

