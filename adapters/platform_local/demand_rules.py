"""What the local platform checks in a demand before saving it, whatever the client
checked already: the zone and its maximum, the term, the loan kind, the purpose, and for
a directed demand 1–3 distinct institutions that serve the enterprise's region. And what
an institution writes on a move (its opinion, a reject's reason): bounded and masked,
since it is stored in the approval record and pushed to the enterprise's users."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.catalog import tidy
from adapters.local_data import CatalogData
from adapters.local_data import Institution as CatalogInstitution
from adapters.masking import mask_text, strip_invisible
from adapters.platform_port import DemandInput, PlatformError
from state_machines.demand import amount_text

MAX_PURPOSE = 500
MAX_INSTITUTIONS = 3
MAX_COMMENT = 200  # as a callback's reason (docs/platform-api.md)
MAX_HANDLER = 40


def validate_demand(catalog: CatalogData, data: DemandInput,
                    region: str) -> list[CatalogInstitution]:
    """The chosen institutions (none for a non-directed demand), or PlatformError whose
    code names the field (invalid_amount …)."""
    try:
        zone = catalog.zone(data.zone)
    except KeyError:
        raise PlatformError("请选择一个专区。", "invalid_zone") from None
    if data.amount <= 0:
        raise PlatformError("申请额度要大于0。", "invalid_amount")
    if data.amount > zone.max_amount:
        raise PlatformError(f"{zone.name}专区单笔最高可申请{amount_text(zone.max_amount)}。",
                            "invalid_amount")
    if data.term_months is not None and not 1 <= data.term_months <= 360:
        raise PlatformError("贷款期限应为1到360个月。", "invalid_term")
    try:
        catalog.loan_kind(data.loan_kind)
    except KeyError:
        raise PlatformError("请选择贷款种类。", "invalid_loan_kind") from None
    purpose = data.purpose.strip()
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise PlatformError(f"贷款用途请写1到{MAX_PURPOSE}个字。", "invalid_purpose")
    if not data.directed:
        return []
    return chosen_institutions(catalog, data.institutions, region)


def chosen_institutions(catalog: CatalogData, ids: Sequence[str],
                        region: str) -> list[CatalogInstitution]:
    if not 1 <= len(ids) <= MAX_INSTITUTIONS or len(set(ids)) != len(ids):
        raise PlatformError(f"定向需求请选择1到{MAX_INSTITUTIONS}家不同的金融机构。",
                            "invalid_institutions")
    serving = {i.id: i for i in catalog.institutions_serving(region)}
    chosen = []
    for inst_id in ids:
        if inst_id not in serving:
            try:
                name = tidy(catalog.institution(inst_id).name)
            except KeyError:
                name = inst_id
            raise PlatformError(f"{name}不服务您企业所在的{region}，请重新选择。",
                                "invalid_institutions")
        chosen.append(serving[inst_id])
    return chosen


def move_texts(comment: str, handler: str) -> tuple[str, str]:
    """A move's comment and handler as they are stored and pushed: without invisible
    characters, ID numbers and phones masked; PlatformError when too long."""
    comment = strip_invisible(comment).strip()
    if len(comment) > MAX_COMMENT:
        raise PlatformError(f"意见（退回原因）最多{MAX_COMMENT}个字，现在是{len(comment)}个字。",
                            "invalid_comment")
    handler = strip_invisible(handler).strip()
    if len(handler) > MAX_HANDLER:
        raise PlatformError(f"经办人最多{MAX_HANDLER}个字。", "invalid_handler")
    return mask_text(comment), mask_text(handler)
