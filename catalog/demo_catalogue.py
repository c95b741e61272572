"""Demo catalogues written from the reform reports (Chengdu 2015, Qingdao Shibei 2014, Liaoning, Tongling).

Each row: code, list, type, title, extra fields. Codes are stable, so an item keeps its key from version to
version and the demo shows a real difference between 锦江区's 2015 and 2021 versions.
"""

from decimal import Decimal

LAW = {"basis_document": "中华人民共和国城市居民委员会组织法", "basis_number": "主席令第21号"}
CHENGDU_2015 = {"basis_document": "成都市社区工作目录清单", "basis_number": "成委社治发〔2015〕1号"}
LIAONING_CERT = {
    "basis_document": "辽宁省第一批取消调整涉及企业和群众办事创业的证明目录",
    "basis_number": "辽政办发〔2018〕31号",
}
LIAONING_2017 = {"basis_document": "中共辽宁省委 辽宁省人民政府关于加强和完善城乡社区治理的实施意见"}
SHIBEI_2014 = {"basis_document": "市北区社区工作准入制度实施办法", "basis_number": "北政办发〔2014〕12号"}


def duty(code, type_, title, description, article="", **extra):
    return {
        "code": code,
        "list": "duties",
        "type": type_,
        "title": title,
        "description": description,
        **LAW,
        "basis_article": article,
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
        **CHENGDU_2015,
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
        **LIAONING_2017,
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
        **extra,
    }


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
    withdrawn("TC-10", "certificate", "出具无犯罪记录证明", "社区无法核实，已永久取消。", "公安机关", **LIAONING_CERT),
    withdrawn(
        "TC-11",
        "certificate",
        "出具亲属关系证明",
        "已永久取消，由户籍、婚姻登记档案等材料证明。",
        "公安机关、民政部门",
        **LIAONING_CERT,
    ),
    withdrawn(
        "TC-12",
        "certificate",
        "出具婚姻状况证明",
        "已永久取消，由婚姻登记机关查询。",
        "区民政局婚姻登记处",
        **LIAONING_CERT,
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

JINJIANG_2015 = DUTIES[:9] + ASSISTANCE[:5] + WITHDRAWN[:12] + ASSESSMENTS[:2]

# 2021: volunteer service becomes a duty, employment aid gains funding, flows-of-population reports are
# handed to communities with funding, more withdrawals (plaques, ledgers), a satisfaction survey admitted.
JINJIANG_2021 = (
    DUTIES
    + [row if row["code"] != "XZ-01" else {**row, "standard_funding": Decimal("4000")} for row in ASSISTANCE]
    + [row for row in WITHDRAWN if row["code"] != "TC-09"]
    + ASSESSMENTS
)

SHIBEI = DUTIES + ASSISTANCE[:3] + WITHDRAWN + ASSESSMENTS[1:]
SHIBEI = [
    {
        **row,
        **(
            {"basis_document": SHIBEI_2014["basis_document"], "basis_number": SHIBEI_2014["basis_number"]}
            if row["list"] == "assistance"
            else {}
        ),
    }
    for row in SHIBEI
]

JINNIU_2015 = (
    DUTIES[:8]
    + ASSISTANCE[:4]
    + WITHDRAWN[:8]
    + ASSESSMENTS[:1]
    + [
        # 金牛区 still asks its communities to register enterprises: a conflict 锦江区 withdrew.
        assist("XZ-91", "ledger", "辖区企业登记统计", "协助对辖区企业开展登记和统计。", "区市场监督管理局", "800"),
    ]
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
