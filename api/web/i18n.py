"""The pages' words in Chinese (the default) and English. A missing key falls back to the key itself, and a
test checks that both languages have every key."""
from collections.abc import Callable

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app.title": ("医保支付资格记分", "Payment-eligibility points"),
    "nav.people": ("人员查询", "People"),
    "nav.objections": ("异议复核", "Objections"),
    "nav.me": ("我的记分", "My record"),
    "nav.logout": ("退出", "Sign out"),
    "nav.lang": ("English", "中文"),
    "signed_in_as": ("当前用户", "Signed in as"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.token": ("访问令牌", "Access token"),
    "login.hint": ("请输入医保部门签发的令牌（pts1.…）。", "Paste the token your insurance bureau issued (pts1.…)."),
    "login.submit": ("登录", "Sign in"),
    "login.role_not_served": ("此类令牌请使用 API；页面供医保部门、定点医药机构和医务人员使用。",
                              "This token is for the API; pages serve supervisors, institutions and practitioners."),
    "login.expired": ("请重新登录。", "Please sign in again."),
    # people search
    "search.title": ("人员查询", "Find a person"),
    "search.placeholder": ("编码或姓名", "Code or name"),
    "search.submit": ("查询", "Search"),
    "search.none": ("没有符合条件的人员。", "Nobody matches."),
    "search.any_status": ("全部状态", "Any status"),
    "search.first": ("仅显示前 {n} 人，请缩小查询范围。", "Only the first {n} are shown; narrow the search."),
    "search.as_of": ("状态更新于", "status as of"),
    "col.code": ("编码", "Code"),
    "col.name": ("姓名", "Name"),
    "col.category": ("类别", "Category"),
    "col.region": ("地区", "Region"),
    "col.status": ("状态", "Status"),
    "col.until": ("截至", "Until"),
    "col.year": ("年度", "Year"),
    "col.recorded": ("记分", "Recorded"),
    "col.repaired": ("修复", "Repaired"),
    "col.net": ("有效记分", "Net"),
    "col.date": ("日期", "Date"),
    "col.violation": ("违规情形", "Violation"),
    "col.points": ("记分", "Points"),
    "col.case": ("文书号", "Case number"),
    "col.institution": ("机构", "Institution"),
    "col.objection": ("异议", "Objection"),
    "col.kind": ("类型", "Kind"),
    "col.from": ("起", "From"),
    "col.to": ("止", "To"),
    "col.months": ("月数", "Months"),
    "col.reason": ("理由", "Reason"),
    "col.person": ("人员", "Person"),
    "col.record": ("记分记录", "Record"),
    "col.filed": ("提出时间", "Filed"),
    # statuses
    "status.normal": ("正常", "Normal"),
    "status.suspended": ("暂停", "Suspended"),
    "status.banned": ("终止，禁止再登记", "Terminated, barred from registering"),
    "status.terminated": ("已终止（禁止期满，可重新登记）", "Terminated (ban over, may register again)"),
    "status.unregistered": ("未登记", "Not registered"),
    "category.medical": ("医疗类", "Medical"),
    "category.pharmacy": ("药学类", "Pharmacy"),
    "category.nursing": ("护理类", "Nursing"),
    "category.technical": ("技术类", "Technical"),
    "category.settlement_review": ("医保结算审核", "Settlement review"),
    "category.pharmacy_principal": ("药店主要负责人", "Pharmacy principal"),
    # person
    "person.points_this_year": ("本年度有效记分", "Points this year (net)"),
    "person.eligible_again_on": ("预计恢复日期", "Eligible again on"),
    "person.may_register_from": ("可重新登记日期", "May register again from"),
    "person.repair_left": ("本年度还可修复（分）", "Repair left this year (points)"),
    "person.picture": ("记分与资格时间线", "Points and eligibility over time"),
    "person.years": ("各年度记分", "Points per year"),
    "person.sanctions": ("暂停与终止", "Suspensions and terminations"),
    "person.records": ("记分记录", "Point records"),
    "person.no_records": ("暂无记分记录。", "No point records."),
    "person.record_points": ("记分", "Record points"),
    "person.annulled": ("已撤销", "annulled"),
    "person.undecided": ("待决定", "to decide"),
    "person.revoked": ("已撤销", "revoked"),
    "sanction.suspension": ("暂停", "Suspension"),
    "sanction.termination": ("终止", "Termination"),
    "picture.suspend_at": ("暂停线", "suspension"),
    "picture.terminate_at": ("终止线", "termination"),
    "picture.today": ("今天", "today"),
    "picture.suspended": ("暂停期", "suspended"),
    "picture.banned": ("禁止登记期", "barred"),
    # record form
    "record.title": ("记分", "Record points"),
    "record.violation": ("违规情形", "Violation"),
    "record.band_hint": ("记分须在该情形的分值档内：{low}–{high} 分", "Points must lie in the band: {low}–{high}"),
    "record.source": ("来源：{source}（{note}）", "Source: {source} ({note})"),
    "record.band_fixed": ("来源规定了该分值档", "the source fixes the band"),
    "record.band_chosen": ("来源未规定分值，分值档为本系统所定", "the source sets no points: the band is this system's choice"),
    "record.no_public_source": ("无公开文件规定此具体情形，由决定者在本档内判断分值",
                                "No public document names this behaviour: the decider judges the points within the band"),
    "record.points": ("记分（分）", "Points"),
    "record.responsibility": ("责任程度", "Responsibility"),
    "record.decision_date": ("记分时点（处理决定日期）", "Decision date"),
    "record.case_number": ("文书号", "Case number"),
    "record.authority": ("作出决定的部门", "Deciding authority"),
    "record.institution": ("所在机构", "Institution"),
    "record.submit": ("确认记分", "Record"),
    "responsibility.main": ("主要责任", "Main"),
    "responsibility.important": ("重要责任", "Important"),
    "responsibility.general": ("一般责任", "General"),
    # suspension decision
    "decide.title": ("决定或更正暂停期限", "Decide or correct the suspension length"),
    "decide.current": ("已决定 {months} 个月（{by}，{on}）", "{months} months, decided by {by} on {on}"),
    "decide.default": ("待决定：暂按默认 {months} 个月", "to decide: {months} months by default until then"),
    "decide.correct": ("更正期限", "Correct"),
    "decide.months": ("暂停月数", "Months"),
    "decide.decided_on": ("决定日期", "Decided on"),
    "decide.reason": ("理由", "Reason"),
    "decide.submit": ("确认", "Decide"),
    # ending a registration (注销 / 变更)
    "person.registrations": ("登记备案", "Registrations"),
    "registration.open": ("在册", "open"),
    "end.ends_on": ("最后登记日", "Last registered day"),
    "end.reason": ("注销或变更理由", "Reason (left or moved)"),
    "end.submit": ("注销登记", "End registration"),
    "end.hint": ("注销：人员离开该机构；变更：注销原登记后在新机构重新登记。最后登记日之后，该登记不再有效。",
                 ("End (注销) when the person leaves; a move (变更) is an end here plus a new registration there. "
                 "After the last registered day the registration no longer counts.")),
    # review
    "review.title": ("复核记分", "Review a record"),
    "review.outcome": ("复核结果", "Outcome"),
    "outcome.confirm": ("维持", "Confirm"),
    "outcome.change": ("变更记分", "Change the points"),
    "outcome.annul": ("撤销", "Annul"),
    "review.points": ("变更后记分（分）", "New points"),
    "review.decided_on": ("复核日期", "Decided on"),
    "review.reason": ("复核意见", "Reasons"),
    "review.submit": ("提交复核", "Submit the review"),
    "review.objections": ("该记录的异议", "Objections to this record"),
    "objections.title": ("待复核的异议", "Objections to review"),
    "objections.none": ("没有待复核的异议。", "No open objections."),
    "objections.review": ("复核", "Review"),
    "objection.open": ("待复核", "open"),
    "objection.reviewed": ("已复核", "reviewed"),
    "objection.duplicate": ("重复提交", "duplicate"),
    # practitioner
    "me.object": ("提出异议", "Object"),
    "objection.title": ("对记分提出异议", "Object to a record"),
    "objection.reason": ("异议理由", "Your reasons"),
    "objection.submit": ("提交异议", "File the objection"),
    "me.notifications": ("通知", "Notifications"),
    # outcomes after a form
    "done.recorded": ("已记分。", "Points recorded."),
    "done.decided": ("已决定暂停期限。", "Suspension length decided."),
    "done.reviewed": ("复核已保存。", "Review saved."),
    "done.ended": ("登记已注销。", "Registration ended."),
    "person.other_authority": ("由其他地区的医保部门作出，只有该部门或其上级部门可以复核。",
                               "Decided by another region's authority; only it or one above it may review."),
    "person.other_authority_short": ("外地决定", "other region"),
    "review.correction": ("该记分已复核过；本次提交将作为对最近一次复核的更正。",
                          "This record was already reviewed; this submission corrects its latest review."),
    "done.objected": ("异议已提交，等待医保部门复核。", "Objection filed; a supervisor will review it."),
    "done.replayed": ("该表单已提交过，未重复保存。", "This form was already submitted; nothing was saved twice."),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.fix_below": ("请修改以下内容后重新提交，已填写的内容已保留。",
                        "Please correct the fields below; what you typed is kept."),
    "error.back": ("返回", "Back"),
    # error messages by code: api/web/texts/errors.py (the one catalog, for the pages and the API)
}


def _merge_areas() -> None:
    from api.web.texts import errors, evidence, lists, phone, regions, todo

    for area in (errors, regions, phone, todo, lists, evidence):
        twice = TEXT.keys() & area.TEXT.keys()
        if twice:
            raise ValueError(f"page texts defined twice: {sorted(twice)}")
        TEXT.update(area.TEXT)


_merge_areas()


def error_text(lang: str, code: str, message: str, params: dict | None = None) -> str:
    """An error's message in the page's language, from the catalog (api/web/texts/errors.py) with the error's
    specifics; never English on a Chinese page."""
    from api.languages import page_error_text

    return page_error_text(lang, code, message, params)


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values) -> str:
        pair = TEXT.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t
