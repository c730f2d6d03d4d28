"""Roles (DESIGN.md §1) and the kind of institution each belongs to."""

INSTITUTION_KINDS = ("bank", "guarantee_agency", "appraisal_agency", "fund_administrator", "rights_centre",
                     "platform")

ROLE_INSTITUTION_KIND = {
    "registrar": "rights_centre",
    "appraiser": "appraisal_agency",
    "loan_officer": "bank",
    "bank_manager": "bank",
    "guarantor": "guarantee_agency",
    "fund_manager": "fund_administrator",
    "admin": "platform",
    "farmer": None,  # linked to their household, not to an institution
}
ROLES = tuple(ROLE_INSTITUTION_KIND)
INSTITUTION_ROLES = tuple(role for role, kind in ROLE_INSTITUTION_KIND.items() if kind)  # every role but farmer

ROLE_LABELS = {
    "registrar": "产权登记员", "appraiser": "评估师", "loan_officer": "信贷员", "bank_manager": "银行审批人",
    "guarantor": "担保机构", "fund_manager": "风险补偿基金管理人", "admin": "平台管理员", "farmer": "农户",
}
KIND_LABELS = {
    "bank": "银行", "guarantee_agency": "融资担保机构", "appraisal_agency": "评估机构",
    "fund_administrator": "风险补偿基金管理机构", "rights_centre": "农村产权交易中心", "platform": "平台运营方",
}
