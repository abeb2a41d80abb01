"""IMS action files: SAVE and RESET payloads, in the offline-upload and the API profile, validated.

Which profile to pick
---------------------
* **offline** (default) — for consultants without a GSP: download the JSON from *IMS Dashboard → Offline →
  Download JSON*, reconcile here, then upload the files this writes at *IMS Dashboard → Offline → Upload
  JSON* (GSTN advisory 658). Each changed record is the downloaded record echoed back with ``action`` set,
  minus ``tradenm`` and ``hash``; the download-only flags (``srcfilstatus``, ``ispendactblocked``,
  ``isRemarksBlocked``, ``itcRedReqBlocked``) are dropped unless ``keep_download_flags=True``, and
  ``prev_status`` is left out unless ``include_prev_status=True`` — the two offline-tool readings
  (docs/reference/formats.md §2.1) write neither. GSTN has not published the offline schema: make the first upload a
  small one (one invoice, one credit note) and look at the portal's result before uploading the rest.
* **api** — for the GSP connector (``recon.portal``), which PUTs the bodies from :func:`api_payloads`.
  Records are built from the published schema's allow-list per section (docs/reference/formats.md §2 table plus the
  2025 fields); ``prev_status`` is always written, because the API refuses a record without it.

Both profiles follow docs/reference/formats.md §2: one envelope ``{"rtin", "reqtyp", "invdata"}`` per file with
lower-case section keys; only documents whose wanted action differs from the downloaded ``action``; SAVE
carries ``A``/``R``/``P``; a return to No Action is a RESET record (no ``action`` key, never ``N``);
identity and amounts are echoed from the downloaded record (``raw``) with their literals untouched
(``59000.00`` stays ``59000.00``, document numbers stay strings, ``rtnprd`` as received); ``remarks``
only with Reject/Pending and not where the portal blocks them; ``itcRedReq`` and ``declIgst`` /
``declCgst`` / ``declSgst`` / ``declCess`` on accepted credit notes (and on accepted amendments when the
user gave the answer). Every record is validated before the upload is returned. One record the portal would
refuse never stops the file: it is left out and listed in ``Upload.left_out`` with its reason (section,
supplier GSTIN, number, why), and everything else is written. :func:`unsendable` finds the records of a
download that no action could be sent for, so they can be flagged at import.

Only what a person decided is written: a wanted frame from :func:`recon.actions.effective_actions`
carries ``action_source``, and rows still on a suggestion keep the portal's action unless
``suggestions=True`` (the CLI's ``--suggested all``).
"""

from recon.ims_json.builder import PROFILES, build
from recon.ims_json.records import ACTION_KEYS, DECL_KEYS, DOWNLOAD_FLAGS
from recon.ims_json.refused import record_problem, unsendable, unsendable_issues
from recon.ims_json.rules import validate, validate_fields
from recon.ims_json.upload import LEFT_OUT_SCHEMA, MAX_BODY_BYTES, Upload, api_payloads, split_payload

__all__ = [
    "ACTION_KEYS",
    "DECL_KEYS",
    "DOWNLOAD_FLAGS",
    "LEFT_OUT_SCHEMA",
    "MAX_BODY_BYTES",
    "PROFILES",
    "Upload",
    "api_payloads",
    "build",
    "record_problem",
    "split_payload",
    "unsendable",
    "unsendable_issues",
    "validate",
    "validate_fields",
]
