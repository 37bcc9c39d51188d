"""User-facing Japanese and English text for every :class:`ErrorCode`.

Japanese comes first: shop staff, nursery staff and town-office counters read it. The text
is short enough for a kiosk screen and never includes values from the rejected input.
A test asserts that every code has both messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MESSAGES", "Message", "message_for"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    ja: str
    en: str


_C = ErrorCode
_M = Message

_MESSAGES: dict[ErrorCode, Message] = {
    _C.INPUT_TOO_LARGE: _M(ja="データが大きすぎます。", en="The data is too large."),
    _C.MALFORMED_BASE64URL: _M(
        ja="データの符号化（base64url）が正しくありません。",
        en="The data is not valid base64url.",
    ),
    _C.MALFORMED_JSON: _M(
        ja="データの形式（JSON）が正しくありません。", en="The data is not valid JSON."
    ),
    _C.JSON_DUPLICATE_KEY: _M(
        ja="同じ項目が重複しています。", en="The data contains a duplicated member name."
    ),
    _C.JSON_TOO_DEEP: _M(ja="データの入れ子が深すぎます。", en="The data is nested too deeply."),
    _C.JSON_NUMBER_OUT_OF_RANGE: _M(
        ja="数値が許される範囲を超えています。", en="A number is out of the allowed range."
    ),
    _C.JSON_INVALID_STRING: _M(
        ja="文字列に不正な文字が含まれています。", en="A string contains invalid characters."
    ),
    _C.MALFORMED_JWS: _M(
        ja="署名付きデータ（JWS）の形式が正しくありません。",
        en="The signed data (JWS) is malformed.",
    ),
    _C.MALFORMED_JWS_HEADER: _M(
        ja="署名付きデータのヘッダーが正しくありません。",
        en="The signed data has an invalid header.",
    ),
    _C.MALFORMED_JWK: _M(
        ja="鍵の形式が正しくありません。", en="The key is malformed or not acceptable."
    ),
    _C.MALFORMED_SD_JWT: _M(
        ja="登録証データ（SD-JWT）の形式が正しくありません。",
        en="The credential (SD-JWT) is malformed.",
    ),
    _C.MALFORMED_DISCLOSURE: _M(
        ja="開示項目の形式が正しくありません。", en="A disclosure is malformed."
    ),
    _C.MALFORMED_CLAIM: _M(
        ja="登録証の項目の形式が正しくありません。", en="A credential claim has the wrong form."
    ),
    _C.MALFORMED_TYPE_METADATA: _M(
        ja="登録証の種類の定義が正しくありません。", en="The credential type metadata is malformed."
    ),
    _C.INVALID_BODY_CODE: _M(
        ja="地方公共団体コードが正しくありません。",
        en="The local government code is not valid.",
    ),
    _C.TOO_MANY_DISCLOSURES: _M(
        ja="開示項目の数が多すぎます。", en="There are too many disclosures."
    ),
    _C.QR_PREFIX_UNKNOWN: _M(
        ja="ふるさと住民登録証のコードではありません。",
        en="This is not a furusato registration code.",
    ),
    _C.MALFORMED_BASE45: _M(
        ja="コードの文字が正しくありません（Base45）。",
        en="The code's characters are invalid (Base45).",
    ),
    _C.BASE45_NON_CANONICAL: _M(
        ja="コードの符号化が正しくありません（Base45）。",
        en="The code is not a canonical Base45 encoding.",
    ),
    _C.COMPRESSED_TOO_LARGE: _M(ja="コードが大きすぎます。", en="The code is too large."),
    _C.INFLATED_TOO_LARGE: _M(
        ja="コードを展開すると大きすぎます。", en="The code expands to too much data."
    ),
    _C.MALFORMED_DEFLATE: _M(
        ja="コードの圧縮データが壊れています。", en="The code's compressed data is corrupt."
    ),
    _C.MALFORMED_CBOR: _M(
        ja="コードのデータ形式（CBOR）が正しくありません。", en="The code's data is not valid CBOR."
    ),
    _C.CBOR_DUPLICATE_KEY: _M(
        ja="コードのデータに同じ項目が重複しています。", en="The code's data repeats a map key."
    ),
    _C.CBOR_INDEFINITE_LENGTH: _M(
        ja="コードのデータに不定長の項目があります。",
        en="The code's data uses indefinite lengths.",
    ),
    _C.CBOR_TOO_DEEP: _M(
        ja="コードのデータの入れ子が深すぎます。", en="The code's data is nested too deeply."
    ),
    _C.CBOR_MAP_TOO_LARGE: _M(
        ja="コードのデータの項目が多すぎます。", en="The code's data has too many entries."
    ),
    _C.CBOR_TRAILING_BYTES: _M(
        ja="コードのデータの後ろに余分なデータがあります。",
        en="The code has extra data after its content.",
    ),
    _C.MALFORMED_COSE: _M(
        ja="署名付きデータ（COSE）の形式が正しくありません。",
        en="The signed data (COSE) is malformed.",
    ),
    _C.QR_NOT_FOUND: _M(
        ja="QRコードが読み取れません。画面を明るくして、もう一度かざしてください。",
        en="No QR code could be read; brighten the screen and try again.",
    ),
    _C.ALGORITHM_NOT_ALLOWED: _M(
        ja="許可されていない署名方式です。", en="The signature algorithm is not allowed."
    ),
    _C.SIGNATURE_INVALID: _M(
        ja="発行元の署名が正しくありません。偽造または改ざんの可能性があります。",
        en="The issuer's signature is not valid; the card may be forged or altered.",
    ),
    _C.CRITICAL_HEADER_UNSUPPORTED: _M(
        ja="対応していない必須拡張が含まれています。",
        en="The data uses a critical extension that is not supported.",
    ),
    _C.TYP_MISMATCH: _M(ja="データの種類が違います。", en="The data is of the wrong type."),
    _C.ISSUER_NOT_TRUSTED: _M(
        ja="信頼できる発行元ではありません。", en="The issuer is not trusted."
    ),
    _C.ISSUER_KEY_UNKNOWN: _M(
        ja="発行元の鍵が見つかりません。信頼リストを更新してください。",
        en="The issuer's key is unknown; update the trust list.",
    ),
    _C.SD_ALG_UNSUPPORTED: _M(
        ja="対応していないハッシュ方式です。", en="The digest algorithm is not supported."
    ),
    _C.SD_STRUCTURE_INVALID: _M(
        ja="選択的開示の構造が正しくありません。",
        en="The selective-disclosure structure is invalid.",
    ),
    _C.DIGEST_DUPLICATE: _M(
        ja="同じダイジェストが重複しています。", en="A digest appears more than once."
    ),
    _C.DISCLOSURE_DUPLICATE: _M(
        ja="同じ開示項目が重複しています。", en="A disclosure was sent more than once."
    ),
    _C.DISCLOSURE_UNREFERENCED: _M(
        ja="登録証に含まれない開示項目があります。改ざんの可能性があります。",
        en="A disclosure does not belong to this card; it may have been altered.",
    ),
    _C.DISCLOSURE_CLAIM_NAME_FORBIDDEN: _M(
        ja="開示項目に使用できない名前が含まれています。",
        en="A disclosure uses a forbidden claim name.",
    ),
    _C.DISCLOSURE_CLAIM_COLLISION: _M(
        ja="開示項目が既存の項目と重なっています。",
        en="A disclosure collides with an existing claim.",
    ),
    _C.DISCLOSURE_KIND_MISMATCH: _M(
        ja="開示項目の種類が位置と合いません。",
        en="A disclosure is of the wrong kind for its position.",
    ),
    _C.TOKEN_EXPIRED: _M(ja="有効期限が切れています。", en="The card has expired."),
    _C.TOKEN_NOT_YET_VALID: _M(
        ja="まだ有効期間が始まっていません。", en="The card is not valid yet."
    ),
    _C.TOKEN_ISSUED_IN_FUTURE: _M(
        ja="発行日時が未来になっています。端末の時刻を確認してください。",
        en="The issue time is in the future; check this device's clock.",
    ),
    _C.REQUIRED_CLAIM_MISSING: _M(ja="必要な項目がありません。", en="A required claim is missing."),
    _C.KB_REQUIRED: _M(
        ja="本人の端末による確認（鍵の証明）がありません。",
        en="Proof that the holder's own device presented the card is missing.",
    ),
    _C.KB_NOT_EXPECTED: _M(
        ja="この場面では受け付けない形式です（鍵の証明付き）。",
        en="A holder proof was present where none is accepted.",
    ),
    _C.HOLDER_KEY_MISSING: _M(
        ja="登録証に本人の鍵が含まれていません。", en="The card does not contain a holder key."
    ),
    _C.KB_SIGNATURE_INVALID: _M(
        ja="本人の端末による署名が正しくありません。別の端末からの提示の可能性があります。",
        en="The holder's signature is not valid; the card may be shown from another device.",
    ),
    _C.KB_SD_HASH_MISMATCH: _M(
        ja="提示された項目が本人の署名と一致しません。",
        en="The presented items do not match the holder's signature.",
    ),
    _C.KB_NONCE_MISMATCH: _M(
        ja="確認コード（ナンス）が一致しません。もう一度表示してください。",
        en="The challenge (nonce) does not match; show the code again.",
    ),
    _C.KB_AUDIENCE_MISMATCH: _M(
        ja="この確認先向けの提示ではありません。",
        en="This presentation is meant for another verifier.",
    ),
    _C.KB_TOO_OLD: _M(
        ja="提示が古すぎます。画面のコードを更新してください。",
        en="The presentation is too old; refresh the code on the screen.",
    ),
    _C.KB_IN_FUTURE: _M(
        ja="提示の時刻が未来になっています。端末の時刻を確認してください。",
        en="The presentation time is in the future; check the clocks.",
    ),
    _C.VCT_NOT_ACCEPTED: _M(
        ja="この種類の登録証は受け付けていません。", en="This type of card is not accepted here."
    ),
    _C.CLAIM_NOT_DISCLOSABLE: _M(
        ja="選択的に開示してはならない項目が開示項目になっています。",
        en="A claim that must always be visible was sent as a disclosure.",
    ),
    _C.CLAIM_METADATA_VIOLATION: _M(
        ja="登録証の内容が種類の定義と合いません。",
        en="The card's claims do not match its type definition.",
    ),
    _C.TYPE_METADATA_INTEGRITY: _M(
        ja="登録証の種類の定義が改ざんされています。",
        en="The credential type metadata failed its integrity check.",
    ),
    _C.TYPE_METADATA_CYCLE: _M(
        ja="登録証の種類の定義が循環しています。", en="The credential type metadata extends itself."
    ),
    _C.TYPE_METADATA_UNAVAILABLE: _M(
        ja="登録証の種類の定義がありません。", en="The credential type metadata is not available."
    ),
    _C.STATUS_NOT_CHECKED: _M(
        ja="失効情報を確認できません。", en="The revocation status could not be checked."
    ),
    _C.REGISTRATION_NOT_VALID: _M(
        ja="登録の有効期間外です。", en="The registration is outside its validity period."
    ),
    _C.REQUIRED_DISCLOSURE_MISSING: _M(
        ja="この場面で必要な項目が開示されていません。",
        en="An item required here was not disclosed.",
    ),
    _C.HOLDER_KEY_MISMATCH: _M(
        ja="登録証の鍵がこの端末の鍵と一致しません。",
        en="The card's holder key is not this device's key.",
    ),
    _C.KB_REPLAYED: _M(
        ja="このコードはすでに使われています（画面の写真・スクリーンショットの可能性）。",
        en="This code was already used (possibly a photo or screenshot).",
    ),
    _C.CREDENTIAL_MISMATCH: _M(
        ja="QRコード用の登録証が、この登録のものではありません。",
        en="The QR credential belongs to another registration.",
    ),
    _C.MALFORMED_STATUS_LIST: _M(
        ja="失効リストの形式が正しくありません。", en="The status list is malformed."
    ),
    _C.MALFORMED_TRUST_LIST: _M(
        ja="信頼リストの形式が正しくありません。", en="The trust list is malformed."
    ),
    _C.CREDENTIAL_REVOKED: _M(
        ja="この登録証は失効しています。", en="This registration card has been revoked."
    ),
    _C.CREDENTIAL_SUSPENDED: _M(
        ja="この登録証は一時停止中です。", en="This registration card is suspended."
    ),
    _C.STATUS_VALUE_UNKNOWN: _M(
        ja="登録証の状態が不明です。", en="The registration card has an unknown status."
    ),
    _C.STATUS_STALE: _M(
        ja="失効情報が古くなっています。端末をネットワークにつないで更新してください。",
        en="The revocation data is out of date. Connect this device and update it.",
    ),
    _C.STATUS_LIST_EXPIRED: _M(
        ja="失効リストの有効期限が切れています。端末を更新してください。",
        en="The status list has expired. Update this device.",
    ),
    _C.STATUS_INDEX_OUT_OF_RANGE: _M(
        ja="失効リストにこの登録証の項目がありません。",
        en="The status list has no entry for this card.",
    ),
    _C.STATUS_LIST_MISMATCH: _M(
        ja="失効リストがこの登録証のものではありません。",
        en="The status list does not belong to this card.",
    ),
    _C.STATUS_LIST_ROLLBACK: _M(
        ja="保持しているものより古い失効リストは受け付けません。",
        en="A status list older than the one held was refused.",
    ),
    _C.TRUST_LIST_ROLLBACK: _M(
        ja="保持しているものより古い信頼リストは受け付けません。",
        en="A trust list older than the one held was refused.",
    ),
    _C.TRUST_LIST_EXPIRED: _M(
        ja="信頼リストの有効期限が切れています。端末を更新してください。",
        en="The trust list has expired. Update this device.",
    ),
    _C.TRUST_ANCHOR_UNKNOWN: _M(
        ja="信頼リストの署名者が登録されていません。",
        en="The trust list is not signed by a pinned trust anchor.",
    ),
    _C.ISSUER_KEY_NOT_VALID: _M(
        ja="発行元の鍵の有効期間外に署名されています。",
        en="It was signed outside the issuer key's validity period.",
    ),
    _C.ISSUER_KEY_WITHDRAWN: _M(
        ja="発行元の鍵は取り消されています。", en="The issuer's key has been withdrawn."
    ),
    _C.ISSUER_SUSPENDED: _M(
        ja="発行元の自治体は現在、登録証の発行を停止されています。",
        en="The issuing body is currently suspended.",
    ),
    _C.ISSUER_WITHDRAWN: _M(
        ja="発行元の自治体はこの制度から外れています。",
        en="The issuing body has left the scheme.",
    ),
    _C.CLOCK_BEHIND_TRUST_DATA: _M(
        ja="端末の時計が遅れています。日時の設定を確認してください。",
        en="This device's clock is behind. Check the date and time settings.",
    ),
    _C.QR_READER_UNAVAILABLE: _M(
        ja="QRコードの読み取りソフトがありません。", en="No QR code reader is installed."
    ),
    _C.MALFORMED_REQUEST: _M(
        ja="リクエストの形式が正しくありません。", en="The request is not well-formed."
    ),
    _C.GRANT_TYPE_UNSUPPORTED: _M(
        ja="この発行手続きには対応していません。", en="This grant type is not supported."
    ),
    _C.PRE_AUTHORIZED_CODE_INVALID: _M(
        ja="発行コードが無効です（期限切れ・使用済み・不明）。最初からやり直してください。",
        en="The issuance code is invalid, expired or already used. Start again.",
    ),
    _C.TX_CODE_MISSING: _M(ja="確認コードを入力してください。", en="Enter the transaction code."),
    _C.TX_CODE_INVALID: _M(ja="確認コードが違います。", en="The transaction code is wrong."),
    _C.TX_CODE_ATTEMPTS_EXCEEDED: _M(
        ja="確認コードの入力に何度も失敗したため、この発行コードは無効になりました。",
        en="Too many wrong transaction codes: this issuance code is no longer valid.",
    ),
    _C.ACCESS_TOKEN_INVALID: _M(
        ja="アクセストークンが無効か期限切れです。",
        en="The access token is invalid or has expired.",
    ),
    _C.PROOF_MISSING: _M(ja="鍵の所持証明（proof）がありません。", en="The key proof is missing."),
    _C.PROOF_INVALID: _M(
        ja="鍵の所持証明（proof）が正しくありません。", en="The key proof is invalid."
    ),
    _C.PROOF_NONCE_INVALID: _M(
        ja="鍵の所持証明のnonceが無効か期限切れです。新しいnonceを取得してください。",
        en="The key proof's nonce is invalid or expired. Get a new nonce.",
    ),
    _C.PROOF_KEY_REUSED: _M(
        ja="同じ鍵が複数の証明に使われています。登録証ごとに別の鍵が必要です。",
        en="The same key is used in several proofs; each credential needs its own key.",
    ),
    _C.CREDENTIAL_CONFIGURATION_UNKNOWN: _M(
        ja="要求された登録証の種類はこの発行者にありません。",
        en="This issuer does not offer the requested credential configuration.",
    ),
    _C.CREDENTIAL_REQUEST_INVALID: _M(
        ja="登録証の発行リクエストが正しくありません。",
        en="The credential request is invalid.",
    ),
    _C.BATCH_SIZE_EXCEEDED: _M(
        ja="一度に発行できる枚数を超えています。",
        en="More credentials were requested than one batch allows.",
    ),
    _C.REGISTRATION_CLAIMS_INVALID: _M(
        ja="登録内容が正しくありません。", en="The registration data is not valid."
    ),
    _C.FORBIDDEN_CLAIM: _M(
        ja="扱うことが禁止されている項目（個人番号など）が含まれています。",
        en="The data contains a forbidden item (such as an Individual Number).",
    ),
    _C.SD_REQUEST_INVALID: _M(
        ja="選択的開示の指定が正しくありません。",
        en="The selective-disclosure request is invalid.",
    ),
    _C.REGISTRATION_LIMIT_REACHED: _M(
        ja="登録できる団体数の上限に達しています。",
        en="The maximum number of registrations has been reached.",
    ),
    _C.REGISTRATION_EXISTS: _M(
        ja="この団体にはすでに登録されています。",
        en="You are already registered with this body.",
    ),
    _C.REGISTRATION_NOT_ACTIVE: _M(
        ja="この登録は現在有効ではありません（停止・取消・期限切れ）。",
        en="This registration is not active (suspended, revoked or expired).",
    ),
    _C.STATUS_CHANGE_NOT_ALLOWED: _M(
        ja="この登録の状態はこの操作で変更できません。",
        en="This registration's status cannot be changed this way.",
    ),
    _C.BODY_NOT_ISSUING: _M(
        ja="この団体は現在、登録を受け付けていません。",
        en="This body does not accept registrations at present.",
    ),
    _C.BUNDLE_MISSING: _M(
        ja="検証用データ（バンドル）がありません。同期してください。",
        en="No verifier bundle is installed. Run a sync.",
    ),
    _C.BUNDLE_CORRUPT: _M(
        ja="検証用データ（バンドル）が壊れています。同期し直してください。",
        en="The verifier bundle is damaged. Sync again.",
    ),
    _C.BUNDLE_WRITE_FAILED: _M(
        ja="検証用データを保存できませんでした。前のデータをそのまま使います。",
        en="The verifier bundle could not be saved; the previous one is kept.",
    ),
    _C.SYNC_SOURCE_UNAVAILABLE: _M(
        ja="同期元に接続できないか、データを取得できませんでした。",
        en="The sync source could not be reached or read.",
    ),
    _C.DATABASE_UNAVAILABLE: _M(
        ja="データベースに接続できません。しばらくしてからもう一度お試しください。",
        en="The database is unavailable. Try again shortly.",
    ),
    _C.SIGNING_KEY_UNAVAILABLE: _M(
        ja="署名鍵を使用できません。管理者に連絡してください。",
        en="No usable signing key. Contact the administrator.",
    ),
    _C.STATUS_LIST_EXHAUSTED: _M(
        ja="失効リストに空きがありません。管理者に連絡してください。",
        en="No free status-list entry. Contact the administrator.",
    ),
    _C.STAFF_UNAUTHENTICATED: _M(
        ja="職員の認証が必要です。", en="Staff authentication is required."
    ),
    _C.STAFF_FORBIDDEN: _M(
        ja="この操作を行う権限がありません。", en="You are not allowed to do this."
    ),
    _C.RESOURCE_NOT_FOUND: _M(ja="指定されたものが見つかりません。", en="Not found."),
    _C.METHOD_NOT_ALLOWED: _M(
        ja="この操作はこの宛先では使えません。", en="This method is not allowed here."
    ),
    _C.IDEMPOTENCY_KEY_MISSING: _M(
        ja="Idempotency-Key ヘッダーが必要です。",
        en="An Idempotency-Key header is required.",
    ),
    _C.IDEMPOTENCY_KEY_REUSED: _M(
        ja="同じ Idempotency-Key が別の内容のリクエストに使われました。",
        en="This Idempotency-Key was used for a different request.",
    ),
    _C.IDEMPOTENCY_IN_PROGRESS: _M(
        ja="同じリクエストを処理中です。少し待ってからもう一度お試しください。",
        en="The same request is still being processed. Retry shortly.",
    ),
    _C.RATE_LIMITED: _M(
        ja="リクエストが多すぎます。しばらくしてからもう一度お試しください。",
        en="Too many requests. Try again later.",
    ),
    _C.REQUEST_TOO_LARGE: _M(ja="リクエストが大きすぎます。", en="The request is too large."),
    # --- the wallet's codes (M5)
    _C.ISSUER_RESPONSE_INVALID: _M(
        ja="発行元からの応答が正しくありません。時間をおいてもう一度お試しください。",
        en="The issuer's answer is not valid. Try again later.",
    ),
    _C.QR_KEYBOARD_LAYOUT: _M(
        ja="スキャナーとこの端末のキーボード配列（JIS/US）が合っていないため、記号が化けています。"
        "係員はスキャナーの設定を端末の配列に合わせてください。",
        en="The scanner's keyboard layout (JIS vs US) does not match this device's, so symbols"
        " are garbled. Staff: set the scanner to the device's layout.",
    ),
    _C.ISSUER_REJECTED: _M(
        ja="発行元がこの要求を受け付けませんでした。",
        en="The issuer refused this request.",
    ),
    _C.ACTIVITY_NOT_CURRENT: _M(
        ja="この活動のコードは受付時間外です。",
        en="This activity code is not valid at this time.",
    ),
    _C.IDENTITY_SIGNATURE_INVALID: _M(
        ja="マイナンバーカードの署名を確認できませんでした。もう一度お試しください。",
        en="The My Number Card signature could not be verified. Please try again.",
    ),
    _C.IDENTITY_CERTIFICATE_UNTRUSTED: _M(
        ja="署名用電子証明書の発行元を確認できませんでした。",
        en="The issuer of the signing certificate could not be verified.",
    ),
    _C.IDENTITY_CERTIFICATE_EXPIRED: _M(
        ja="署名用電子証明書の有効期限が切れています。",
        en="The signing certificate has expired.",
    ),
    _C.IDENTITY_CERTIFICATE_NOT_YET_VALID: _M(
        ja="署名用電子証明書はまだ有効になっていません。",
        en="The signing certificate is not valid yet.",
    ),
    _C.IDENTITY_CERTIFICATE_REVOKED: _M(
        ja="署名用電子証明書は失効しています。",
        en="The signing certificate has been revoked.",
    ),
    _C.IDENTITY_REVOCATION_UNKNOWN: _M(
        ja="署名用電子証明書の失効情報を確認できませんでした。時間をおいてお試しください。",
        en="The revocation status of the signing certificate could not be checked. "
        "Please try again later.",
    ),
    _C.IDENTITY_ATTRIBUTES_INVALID: _M(
        ja="署名用電子証明書の記載事項を読み取れませんでした。",
        en="The details in the signing certificate could not be read.",
    ),
    _C.IDENTITY_ADDRESS_UNKNOWN: _M(
        ja="証明書の住所から市区町村を特定できませんでした。窓口にご相談ください。",
        en="The municipality could not be determined from the certificate's address. "
        "Please ask at the counter.",
    ),
    _C.ID_TOKEN_INVALID: _M(
        ja="本人確認の結果を受け付けられません。もう一度本人確認をしてください。",
        en="The identity verification result is not valid. Please verify your identity again.",
    ),
    _C.ID_TOKEN_EXPIRED: _M(
        ja="本人確認の有効期限が切れています。もう一度本人確認をしてください。",
        en="The identity verification has expired. Please verify your identity again.",
    ),
    _C.ID_TOKEN_NONCE_MISMATCH: _M(
        ja="本人確認の結果がこの手続きのものではありません。もう一度本人確認をしてください。",
        en="The identity verification result is not for this request. Please try again.",
    ),
    _C.ID_TOKEN_AUDIENCE_MISMATCH: _M(
        ja="本人確認の結果が別のサービス宛てです。",
        en="The identity verification result was issued for another service.",
    ),
    _C.WALLET_PASSPHRASE_INVALID: _M(
        ja="パスフレーズが違います。",
        en="The passphrase is wrong.",
    ),
    _C.WALLET_STORE_CORRUPT: _M(
        ja="ウォレットのデータが壊れているか、対応していない形式です。",
        en="The wallet data is damaged or in an unsupported format.",
    ),
    _C.WALLET_KEY_UNAVAILABLE: _M(
        ja="この登録証の鍵が端末にありません。登録証を発行し直してください。",
        en="The key of this card is not on this device. Have the card issued again.",
    ),
    _C.WALLET_CARD_NOT_FOUND: _M(
        ja="指定された登録証はウォレットにありません。",
        en="This card is not in the wallet.",
    ),
    _C.WALLET_COPIES_EXHAUSTED: _M(
        ja="未使用の登録証の控えがありません。発行元から追加で受け取ってください。",
        en="No unused copy of this card is left. Get more copies from the issuer.",
    ),
    _C.ISSUER_UNAVAILABLE: _M(
        ja="発行元に接続できません。通信環境を確認してもう一度お試しください。",
        en="The issuer cannot be reached. Check the connection and try again.",
    ),
    _C.IDENTITY_NONCE_INVALID: _M(
        ja="本人確認の手続きの有効期限が切れたか、別の手続きのものです。最初からやり直してください。",
        en="The identity check request has expired or belongs to another request. "
        "Please start again.",
    ),
    _C.ATTENDANCE_ALREADY_RECORDED: _M(
        ja="この活動への参加はすでに記録されています。",
        en="Attendance at this activity has already been recorded.",
    ),
    _C.ATTENDANCE_KEY_NOT_BOUND: _M(
        ja="この登録証は、この登録のためにこの端末に発行されたものではありません。",
        en="This card was not issued to this device for this registration.",
    ),
    _C.ATTENDANCE_LOCATION_REQUIRED: _M(
        ja="この活動の参加記録には位置情報が必要です。",
        en="This activity needs your location to record attendance.",
    ),
    _C.ATTENDANCE_OUTSIDE_GEOFENCE: _M(
        ja="活動の場所から離れているため、参加を記録できません。",
        en="You are too far from the activity's place to record attendance.",
    ),
    _C.ACTIVITY_FULL: _M(
        ja="この活動は定員に達しています。",
        en="This activity is full.",
    ),
    _C.PREMIUM_NOT_ELIGIBLE: _M(
        ja="プレミアム登録の条件を満たしていません。チェックリストを確認してください。",
        en="The conditions for premium registration are not met. See the checklist.",
    ),
    _C.PREMIUM_APPLICATION_EXISTS: _M(
        ja="審査中のプレミアム登録の申請がすでにあります。",
        en="A premium application is already waiting for review.",
    ),
    _C.REVIEW_ALREADY_DECIDED: _M(
        ja="この申請はすでに審査済みです。",
        en="This application has already been decided.",
    ),
    _C.EVIDENCE_TYPE_NOT_ALLOWED: _M(
        ja="この種類のファイルは提出できません（PDF・JPEG・PNGのみ）。",
        en="This kind of file cannot be submitted (PDF, JPEG or PNG only).",
    ),
    _C.IMPORT_CSV_INVALID: _M(
        ja="CSVファイルを読み取れません（文字コード・見出し行・形式を確認してください）。",
        en="The CSV file cannot be read (check its encoding, header row and format).",
    ),
    _C.IMPORT_ROW_DUPLICATE: _M(
        ja="同じ会員番号がファイルの前の行にあります。この行は取り込みません。",
        en="The same member number appears in an earlier row; this row is not imported.",
    ),
    _C.IMPORT_MEMBER_CHANGED: _M(
        ja="この会員はすでに取り込み済みで、内容が前回と異なります。変更は反映しません。",
        en="This member was imported before with different data; the change is not applied.",
    ),
    _C.NOTICE_FEED_ROLLBACK: _M(
        ja="以前に受け取ったものより古いお知らせが届きました。表示しません。",
        en="These notices are older than ones already received and are not shown.",
    ),
}

MESSAGES: Mapping[ErrorCode, Message] = MappingProxyType(_MESSAGES)


def message_for(code: ErrorCode) -> Message:
    """The Japanese and English text for ``code``."""
    return MESSAGES[code]
