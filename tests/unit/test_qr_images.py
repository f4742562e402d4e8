"""QR images: drawn with qrcode, read back with the real zxing-cpp decoder; sizes of a typical OMC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omc_vc import qr
from omc_vc.errors import QrError
from tests.unit.test_wallet_support import NOW, Institution

BASE = "https://verify.omc.example.ca"


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_typical_omc_link_qr_round_trips_byte_identical_and_verifies(tmp_path: Path, kind: qr.ImageKind) -> None:
    college = Institution()
    credential = college.issue("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    link = qr.encode_link(credential, BASE)
    out = tmp_path / f"omc.{kind}"
    version = qr.make_qr_image(link, out, kind=kind)
    text = qr.read_qr_image(out)
    assert text == link
    decoded = qr.decode_payload(text)
    # the same JSON value, in the same key order: the same bytes when serialised the same way
    assert json.dumps(decoded) == json.dumps(credential)
    assert college.verifier().verify(decoded, now=NOW).verified
    # a typical OMC fits in QR version 25 or lower at error-correction level L
    assert version <= 25


def test_typical_omc_size_is_measured(tmp_path: Path) -> None:
    credential = Institution().issue("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    size = len(json.dumps(credential, separators=(",", ":")))
    link = qr.encode_link(credential, BASE)
    assert 2500 < size < 3200  # the fixture is a realistic OMC with status, OMC+ claim and proof
    assert qr.qr_version_for(link) <= 25
    assert len(link) < size  # compression wins over the credential text


def test_vc_jwt_qr_round_trips_to_the_same_token(tmp_path: Path) -> None:
    college = Institution()
    token = college.issue_jwt("did:example:learner")
    out = tmp_path / "jwt.png"
    version = qr.make_qr_image(qr.encode_link(token, BASE), out, kind="png")
    decoded = qr.decode_payload(qr.read_qr_image(out))
    assert decoded == token
    assert college.core_verifier().verify(decoded, now=NOW).verified
    assert version <= 25


def test_credential_too_large_for_a_qr_code_is_refused_with_short_mode_hint(tmp_path: Path) -> None:
    college = Institution()
    noise = "".join(f"{i * 7919 % 104729:06d}" for i in range(900))  # digits that do not compress much
    credential = college.issue("did:example:learner", changes={"description": noise})
    link = qr.encode_link(credential, BASE)
    with pytest.raises(QrError) as info:
        qr.make_qr_image(link, tmp_path / "big.png")
    assert info.value.code == "QR_TOO_LARGE"
    assert "short" in info.value.detail
    assert not (tmp_path / "big.png").exists()


def test_configured_maximum_version_is_enforced(tmp_path: Path) -> None:
    link = qr.encode_link(Institution().issue("did:example:learner"), BASE)
    with pytest.raises(QrError) as info:
        qr.make_qr_image(link, tmp_path / "q.png", max_version=10)
    assert info.value.code == "QR_TOO_LARGE"


def test_a_share_code_keeps_to_the_short_profiles_largest_version(tmp_path: Path) -> None:
    """A short-mode share's code is printed small (docs/qr-format.md §4): past the short profile's largest version
    it would be too dense to scan at that size, so the wallet's limit refuses it; an offer's longer deep link,
    drawn with the same level, is not held to it."""
    limit = qr.PROFILES["short"].max_version
    assert limit == 10
    long_url = "https://verify.omc.example.ca/s/" + "Qm3xY7_kPz2vN9wR4tLb8A" * 10
    with pytest.raises(QrError) as info:
        qr.make_qr_image(long_url, tmp_path / "dense.png", mode="short", max_version=limit)
    assert info.value.code == "QR_TOO_LARGE" and "over the maximum 10" in info.value.detail
    assert qr.make_qr_image(long_url, tmp_path / "offer.png") > limit


def test_short_url_fits_version_10(tmp_path: Path) -> None:
    url = "https://verify.omc.example.ca/s/Qm3xY7_kPz2vN9wR4tLb8A"
    out = tmp_path / "short.svg"
    assert qr.make_qr_image(url, out, kind="svg", max_version=10) <= 10
    assert qr.read_qr_image(out) == url


def test_image_without_a_qr_code_is_reported(tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    with pytest.raises(QrError) as info:
        qr.read_qr_image(blank)
    assert info.value.code == "QR_NOT_FOUND"


def test_file_that_is_not_an_image_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image at all")
    with pytest.raises(QrError) as info:
        qr.read_qr_image(fake)
    assert info.value.code == "QR_BAD_IMAGE"


def test_foreign_svg_is_refused_not_misread(tmp_path: Path) -> None:
    svg = tmp_path / "other.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>')
    with pytest.raises(QrError) as info:
        qr.read_qr_image(svg)
    assert info.value.code == "QR_BAD_IMAGE"


def test_image_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    import struct
    import zlib

    # a valid PNG header claiming 100,000 x 100,000 pixels, with almost no data
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png)
    with pytest.raises(QrError) as info:
        qr.read_qr_image(bomb)
    assert info.value.code == "QR_BAD_IMAGE"


def test_presentation_link_qr_round_trips_and_verifies_with_its_challenge(tmp_path: Path) -> None:
    from omc_vc.wallet import Wallet

    college = Institution()
    wallet = Wallet.create(tmp_path / "w", "qr presentation passphrase")
    item, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    vp = wallet.present([item.id], challenge="scan-7f3a", domain="verify.omc.example.ca", now=NOW)
    out = tmp_path / "vp.png"
    version = qr.make_qr_image(qr.encode_link(vp, BASE), out)
    decoded = qr.decode_payload(qr.read_qr_image(out))
    assert decoded == vp and version <= 25
    assert college.verifier().verify(decoded, challenge="scan-7f3a", domain="verify.omc.example.ca", now=NOW).verified
