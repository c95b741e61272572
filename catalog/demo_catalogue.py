"""Demo catalogues written from the reform reports (Chengdu, Qingdao Shibei 2014, the national guidance on
certificates).

Each row: code, list, type, title, extra fields. Codes are stable, so an item keeps its key from version to
version and the demo shows a real difference between 锦江区's 2015 and 2021 versions. Each item has a few
common wordings (常见说法), written from what the item means. Documents are cited by title; a document number
(文号) is given only where it is certain.
"""

from decimal import Decimal

LAW = {"basis_document": "中华人民共和国城市居民委员会组织法", "basis_number": "主席令第21号"}
CHENGDU_LIST = {"basis_document": "成都市社区工作目录清单"}
# Chengdu's 2017 opinions on community development and governance (城乡社区发展治理"30条"), which the 2021 lists
# cite for the work withdrawn from communities.
CHENGDU_2017 = {"basis_document": "中共成都市委关于深入推进城乡社区发展治理建设高品质和谐宜居生活社区的意见"}
CERTIFICATES_2020 = {"basis_document": "关于改进和规范基层群众性自治组织出具证明工作的指导意见"}  # 民政部等
SHIBEI_2014 = {"basis_document": "市北区社区工作准入制度实施办法"}


# 常见说法: how a secretary or a notice might word each item, written from what the item means.
ALIASES = {
    "LZ-01": ["居民大会", "居民议事会"],
    "LZ-02": ["普法宣传", "法治宣传进社区", "政策宣讲"],
    "LZ-03": ["小区公共设施维修议事", "社区公益项目"],
    "LZ-04": ["邻里纠纷调解", "家庭矛盾调处", "人民调解"],
    "LZ-05": ["收集居民诉求", "民意收集上报"],
    "LZ-06": ["老年日间照料", "一老一小服务"],
    "LZ-07": ["社区文艺演出", "居民运动会"],
    "LZ-08": ["居务公开栏", "社区财务公开"],
    "LZ-09": ["居委会标识牌"],
    "LZ-10": ["志愿者招募", "邻里互助"],
    "LZ-11": ["居委会选举", "选举居委会主任和委员"],
    "XZ-01": ["低保申请家庭核查", "低保年审复核"],
    "XZ-02": ["残疾人证办理", "残疾人康复需求调查"],
    "XZ-03": ["退役军人信息采集", "优抚对象走访慰问"],
    "XZ-04": ["失业人员登记", "推送招聘岗位", "就业困难人员帮扶"],
    "XZ-05": ["环境卫生大扫除", "健康知识讲座", "病媒生物防制"],
    "XZ-06": ["流动人口登记", "外来人口信息采集"],
    "XZ-91": ["企业信息统计"],
    "TC-01": ["引进企业任务", "招商任务指标", "拉投资"],
    "TC-02": ["代征税款", "催缴税费", "税源排查"],
    "TC-03": ["创收指标", "社区经营收入任务"],
    "TC-04": ["执法检查", "行政处罚", "查处违法行为"],
    "TC-05": ["拆除违章建筑", "违建拆除", "征地拆迁动员"],
    "TC-06": ["环境整治任务包干", "环境整治责任考核"],
    "TC-07": ["食品经营抽查", "餐饮店卫生检查", "食品抽检"],
    "TC-08": ["企业信息摸底", "经营主体统计", "商户信息采集"],
    "TC-09": ["交通劝导", "路口站岗", "文明交通执勤"],
    "TC-10": ["无犯罪证明", "品行证明"],
    "TC-11": ["直系亲属证明", "亲属证明"],
    "TC-12": ["未婚证明", "婚否证明"],
    "TC-13": ["部门挂牌", "制度牌上墙"],
    "TC-14": ["部门台账", "额外报表"],
    "KH-01": ["和谐社区示范评选", "示范社区创建"],
    "KH-02": ["文明社区评比", "文明测评"],
    "KH-03": ["满意度调查", "群众满意度测评"],
}


def duty(code, type_, title, description, article="", **extra):
    return {
        "code": code,
        "list": "duties",
        "type": type_,
        "title": title,
        "description": description,
        **LAW,
        "basis_article": article,
        "aliases": ALIASES.get(code, []),
        **extra,
    }


def assist(code, type_, title, description, unit, funding, **extra):
    return {
        "code": code,
        "list": "assistance",
        "type": type_,
        "title": title,
        "description": description,
        "delegating_unit": unit,
        "responsible_department": unit,
        "standard_funding": Decimal(funding),
        **CHENGDU_LIST,
        "aliases": ALIASES.get(code, []),
        **extra,
    }


def withdrawn(code, type_, title, reason, belongs_to, **extra):
    return {
        "code": code,
        "list": "withdrawn",
        "type": type_,
        "title": title,
        "withdrawal_reason": reason,
        "belongs_to": belongs_to,
        **CHENGDU_2017,
        "aliases": ALIASES.get(code, []),
        **extra,
    }


def assessment(code, title, description, level, max_per_year, months, **extra):
    return {
        "code": code,
        "list": "assessments",
        "type": "inspection",
        "title": title,
        "description": description,
        "issuing_level": level,
        "max_per_year": max_per_year,
        "allowed_months": months,
        "aliases": ALIASES.get(code, []),
        **extra,
    }


# The residents' committee elects itself: the community cannot refuse its own election (组织法 第八条).
ELECTION = duty(
    "LZ-11",
    "work_task",
    "组织居民委员会换届选举",
    "居民委员会每届任期五年，届满依法组织换届：推选选举委员会、登记选民、提名候选人、组织投票。",
    "第八条",
)

DUTIES = [
    duty(
        "LZ-01",
        "work_task",
        "召开居民会议和居民代表会议",
        "组织居民会议讨论决定涉及全体居民利益的重要事项，每年至少两次。",
        "第九条",
    ),
    duty(
        "LZ-02",
        "work_task",
        "宣传宪法、法律、法规和国家政策",
        "教育居民履行依法应尽的义务，爱护公共财产，开展多种形式的社会主义精神文明建设活动。",
        "第三条第一项",
    ),
    duty(
        "LZ-03",
        "work_task",
        "办理本居住地区居民的公共事务和公益事业",
        "组织居民议事，推动小区公共设施维护和公益项目。",
        "第三条第二项",
    ),
    duty("LZ-04", "work_task", "调解民间纠纷", "设立人民调解委员会，调解邻里、家庭纠纷。", "第三条第三项"),
    duty(
        "LZ-05",
        "work_task",
        "向人民政府反映居民的意见、要求和提出建议",
        "收集居民诉求，及时向街道和有关部门反映。",
        "第三条第六项",
    ),
    duty(
        "LZ-06",
        "work_task",
        "开展便民利民的社区服务活动",
        "组织老年日间照料、儿童四点半课堂等“一老一小”服务。",
        "第四条",
    ),
    duty("LZ-07", "work_task", "组织开展群众性文化体育活动", "组织居民文艺队、骑游队等文体活动。"),
    duty("LZ-08", "ledger", "居务公开记录", "按季度公开社区事务、财务收支情况并留存记录。", "第十条"),
    duty("LZ-09", "plaque", "社区居民委员会牌子", "居民委员会依法设立，悬挂统一标识牌子。"),
    duty("LZ-10", "work_task", "组织社区志愿服务", "建立志愿者队伍，开展邻里互助和志愿服务。"),
    ELECTION,
]

ASSISTANCE = [
    assist(
        "XZ-01",
        "work_task",
        "协助做好最低生活保障对象的调查核实",
        "入户调查低保申请家庭收入和财产状况，配合动态管理。",
        "区民政局",
        "3000",
    ),
    assist(
        "XZ-02", "work_task", "协助开展残疾人服务和康复工作", "协助残疾人证办理、康复服务需求调查。", "区民政局", "1500"
    ),
    assist(
        "XZ-03",
        "work_task",
        "协助开展退役军人服务保障",
        "协助退役军人信息采集、走访慰问和政策宣传。",
        "区退役军人事务局",
        "2000",
    ),
    assist(
        "XZ-04",
        "work_task",
        "协助开展就业困难人员就业援助",
        "登记失业人员和就业困难人员，推送岗位信息。",
        "区人力资源和社会保障局",
        "2500",
    ),
    assist(
        "XZ-05",
        "work_task",
        "协助开展爱国卫生运动和健康教育",
        "组织居民参与环境卫生清洁和健康知识宣传。",
        "区卫生健康局",
        "1200",
    ),
    assist(
        "XZ-06", "ledger", "流动人口信息登记报表", "协助登记辖区流动人口基本信息，每季度报送。", "区卫生健康局", "1800"
    ),
]

WITHDRAWN = [
    withdrawn(
        "TC-01",
        "work_task",
        "招商引资",
        "招商引资属于经济职能，已从街道和社区剥离，社区不再承担招商引资任务和考核指标。",
        "区级产业功能区",
    ),
    withdrawn(
        "TC-02", "work_task", "协税护税", "税收征管是税务机关的法定职责，社区不再承担协税护税任务指标。", "区税务局"
    ),
    withdrawn("TC-03", "work_task", "经济创收任务指标", "社区是群众性自治组织，不承担经济创收指标。", "区财政局"),
    withdrawn("TC-04", "work_task", "行政执法", "社区没有执法权限，不作为执法责任主体。", "区综合行政执法局"),
    withdrawn(
        "TC-05",
        "work_task",
        "拆迁拆违",
        "房屋拆迁和拆除违章建筑（违法建设）需要执法权，社区不作为责任主体。",
        "区城市管理局",
    ),
    withdrawn(
        "TC-06",
        "work_task",
        "作为责任主体开展环境整治",
        "环境整治的责任主体是主管部门，社区只可动员居民参与。",
        "区城市管理局",
    ),
    withdrawn("TC-07", "work_task", "食品安全监督检查", "食品安全监管需要专业资质和执法权。", "区市场监督管理局"),
    withdrawn(
        "TC-08", "work_task", "辖区企业登记统计", "对辖区企业进行登记是市场监管和统计部门的职责。", "区市场监督管理局"
    ),
    withdrawn(
        "TC-09",
        "work_task",
        "路口交通执勤",
        "交通秩序维护属于公安交警职责，不得临时要求社区安排执勤人员。",
        "区公安分局交警大队",
    ),
    withdrawn(
        "TC-10", "certificate", "出具无犯罪记录证明", "社区无法核实，已永久取消。", "公安机关", **CERTIFICATES_2020
    ),
    withdrawn(
        "TC-11",
        "certificate",
        "出具亲属关系证明",
        "已永久取消，由户籍、婚姻登记档案等材料证明。",
        "公安机关、民政部门",
        **CERTIFICATES_2020,
    ),
    withdrawn(
        "TC-12",
        "certificate",
        "出具婚姻状况证明",
        "已永久取消，由婚姻登记机关查询。",
        "区民政局婚姻登记处",
        **CERTIFICATES_2020,
    ),
    withdrawn("TC-13", "plaque", "部门在社区挂牌设立工作站", "各部门不得在社区设立机构、悬挂牌子。", "设立部门自身"),
    withdrawn("TC-14", "ledger", "部门自行设立的统计台账", "部门不得要求社区填报清单以外的台账报表。", "设立部门自身"),
]

ASSESSMENTS = [
    assessment(
        "KH-01",
        "全国和谐社区建设示范社区评选",
        "按民政部标准申报评选。",
        "national",
        1,
        [10, 11],
        basis_document="民政部关于开展全国和谐社区建设示范单位创建活动的通知",
    ),
    assessment(
        "KH-02",
        "省级文明社区测评",
        "按省文明委测评体系实地测评。",
        "province",
        1,
        [11],
        basis_document="省文明委文明社区测评体系",
    ),
    assessment(
        "KH-03",
        "社区服务群众满意度测评",
        "由第三方开展居民满意度调查。",
        "province",
        2,
        [6, 12],
        basis_document="省民政厅社区服务质量评价办法",
    ),
]


def _cited_before(rows, document):
    """A version older than a reform document cites its own list instead."""
    later = {CHENGDU_2017["basis_document"], CERTIFICATES_2020["basis_document"]}
    return [{**row, **document} if row.get("basis_document") in later else row for row in rows]


JINJIANG_2015 = _cited_before([*DUTIES[:9], ELECTION, *ASSISTANCE[:5], *WITHDRAWN[:12], *ASSESSMENTS[:2]], CHENGDU_LIST)

# 2021: volunteer service becomes a duty, employment aid gains funding, flows-of-population reports are
# handed to communities with funding, more withdrawals (plaques, ledgers), a satisfaction survey admitted.
JINJIANG_2021 = (
    DUTIES
    + [row if row["code"] != "XZ-01" else {**row, "standard_funding": Decimal("4000")} for row in ASSISTANCE]
    + [row for row in WITHDRAWN if row["code"] != "TC-09"]
    + ASSESSMENTS
)

# 市北区 (青岛) cites its own 2014 access rules for what it assists with and what it withdrew.
SHIBEI = [
    {**row, **SHIBEI_2014} if row["list"] in ("assistance", "withdrawn") else row
    for row in DUTIES + ASSISTANCE[:3] + WITHDRAWN + ASSESSMENTS[1:]
]

JINNIU_2015 = _cited_before(
    [
        *DUTIES[:8],
        ELECTION,
        *ASSISTANCE[:4],
        *WITHDRAWN[:8],
        *ASSESSMENTS[:1],
        # 金牛区 still asks its communities to register enterprises: a conflict 锦江区 withdrew.
        assist("XZ-91", "ledger", "辖区企业登记统计", "协助对辖区企业开展登记和统计。", "区市场监督管理局", "800"),
    ],
    CHENGDU_LIST,
)

# district → [(effective date, title, rows)]
CATALOGUES = {
    "锦江区": [
        ("2015-01-01", "锦江区社区工作目录清单（2015年版）", JINJIANG_2015),
        ("2021-01-01", "锦江区社区工作目录清单（2021年修订）", JINJIANG_2021),
    ],
    "金牛区": [("2015-01-01", "金牛区社区工作目录清单（2015年版）", JINNIU_2015)],
    "市北区": [("2014-06-01", "市北区社区工作准入清单（2014年）", SHIBEI)],
}
