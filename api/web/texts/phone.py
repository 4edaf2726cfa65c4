"""Page texts: phones, the physician's page (/ui/me) and what is about to happen. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
    # sanctions decided but not started yet, on the person page and /ui/me
    "upcoming.title": ("即将生效", "About to take effect"),
    "upcoming.suspension": ("将于 {starts} 起暂停医保支付资格至 {ends}",
                            "Payment eligibility will be suspended from {starts} to {ends}"),
    "upcoming.termination": ("将于 {starts} 起终止医保支付资格，至 {ends} 不得再次登记备案",
                             "Payment eligibility will be terminated from {starts}; no new registration until {ends}"),
    "upcoming.suspended_since": ("自 {starts} 起暂停医保支付资格至 {ends}",
                                 "Payment eligibility is suspended from {starts} to {ends}"),
    "upcoming.terminated_since": ("自 {starts} 起终止医保支付资格，至 {ends} 不得再次登记备案",
                                  "Payment eligibility is terminated from {starts}; no new registration until {ends}"),
    "upcoming.length_decided": ("（{months} 个月，{by} 于 {on} 决定）", " ({months} months, decided by {by} on {on})"),
    "upcoming.length_default": ("（默认 {months} 个月，期限待决定）",
                                " (default {months} months; the length is still to be decided)"),
    "upcoming.until_then": ("在此之前，医保支付资格正常。", "Until then, payment eligibility stays normal."),
    # what the record just saved sets off (under "已记分。")
    "upcoming.follows.suspension": ("本次记分使本年度累计记分达到暂停线：",
                                    "This record brings the year's points to the suspension line: "),
    "upcoming.follows.termination": ("本次记分使本年度累计记分达到终止线：",
                                     "This record brings the year's points to the termination line: "),
    # decisions on a suspension's length: who, when, old -> new
    "upcoming.lengths": ("暂停期限的决定与更正", "Suspension lengths: decisions and corrections"),
    "upcoming.length_first": ("{on}，{by} 决定 {starts} 起的暂停期限为 {after} 个月（默认 {before} 个月）。",
                              ("{on}: {by} set the suspension from {starts} to {after} months "
                               "(default {before}).")),
    "upcoming.length_change": ("{on}，{by} 将 {starts} 起的暂停期限由 {before} 个月更正为 {after} 个月。",
                               ("{on}: {by} corrected the suspension from {starts} from {before} to "
                                "{after} months.")),
    "upcoming.length_same": ("{on}，{by} 重新决定 {starts} 起的暂停期限，仍为 {after} 个月。",
                             ("{on}: {by} decided the suspension from {starts} again: still {after} "
                              "months.")),
    "upcoming.reason": ("理由：{reason}", "Reason: {reason}"),
    "upcoming.region": ("决定部门所在地区：{region}", "Deciding authority's region: {region}"),
    # the physician's page: the rules in plain words
    "me.explain.title": ("记分规则说明", "What the points mean"),
    "me.explain.year": ("记分按自然年度累计，每年 1 月 1 日清零，不转入下一年。",
                        "Points add up per calendar year and are cleared on 1 January; nothing carries over."),
    "me.explain.now": ("您本年度已累计 {points} 分，再记 {left} 分将达到暂停线。",
                       "You have {points} points this year; {left} more reach the suspension line."),
    "me.explain.suspend": (("一年内累计达到 {at} 分：暂停医保支付资格 {low}–{high} 个月，期限由作出记分的医保部门决定。"
                            "暂停期间您提供的服务，医保基金不予结算；期满后自动恢复。"),
                           ("{at} points in one year: payment eligibility is suspended for {low}–{high} months; the "
                            "authority that recorded the points decides the length. The fund does not pay for "
                            "your services while you are suspended; eligibility returns by itself at the end.")),
    "me.explain.terminate": (("一年内累计达到 {at} 分：终止医保支付资格，{years} 年内不得再次登记备案；一次记满 {at} 分的，"
                              "{single} 年内不得再次登记备案。终止期间您提供的服务，医保基金不予结算。"),
                             ("{at} points in one year: payment eligibility is terminated and you may not register "
                              "again for {years} year(s); {single} years when one record carries {at} points. The "
                              "fund does not pay for your services while terminated.")),
    "me.explain.emergency": ("例外：暂停期间提供的急救、抢救服务，医保基金仍予结算。",
                             ("Exception: emergency and rescue care (急救、抢救) you give while suspended is still "
                              "paid by the fund.")),
    "me.explain.emergency_terminated": ("本地区规定：终止期间提供的急救、抢救服务也予结算。",
                                        ("In your region, emergency and rescue care given while terminated is paid "
                                         "too.")),
    "me.explain.no_emergency": ("本地区规定：暂停期间提供的急救、抢救服务也不予结算。",
                                ("In your region, emergency and rescue care given while suspended is not paid "
                                 "either.")),
    "me.explain.objection": (("对某条记分有异议的，可在收到告知之日起 {days} 日内提出异议，截止日期见下方每条记分；"
                              "逾期不再受理。"),
                             ("You may object to a record within {days} days of being notified of it; the last "
                              "day is shown with each record below. Later objections are not accepted.")),
    "me.deadline": ("可于 {date} 前（含当日）提出异议", "Object by {date} (inclusive)"),
    "me.deadline_passed": ("异议期限已于 {date} 届满", "The objection period ended on {date}"),
    "error.OBJECTION_TOO_LATE": ("异议申诉期限已于 {day} 届满，不能再对该记分提出异议。",
                                 "The period for objecting to this record ended on {day}."),
}
