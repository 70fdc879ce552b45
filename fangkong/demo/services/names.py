"""Names for the fictional demo county: places, schools, companies, sites and posts.

The stems are common Chinese place-name parts; combined at random they give plausible
but made-up towns and villages (any likeness to a real place is chance).
"""

import random

COUNTY_NAME = "示范县"
COUNTY_ADDRESS = "湖南省示范县"

STREET_STEMS = ["城东", "城西", "城南", "城北", "天岳", "滨江"]
TOWN_STEMS = ["河口", "长安", "石桥", "青山", "白沙", "桃源", "新市", "龙泉", "柳塘", "金坪", "凤岭", "枫林",
              "黄金", "杨柳", "大洲", "梅溪", "清水", "高坪", "安乐", "双江", "太平", "永兴", "南岳", "东山"]
VILLAGE_FIRST = "东西南北新大小上下高石柳杨李王张黄枫桃杏竹松荷金马龙凤鹤泉塘田"
VILLAGE_SECOND = "塘桥湾坪冲岭山溪洲坡田港庄铺垅源峰林岗湖"
COMMUNITY_STEMS = ["和平", "幸福", "建设", "光明", "朝阳", "文化", "新华", "解放", "人民", "胜利", "东风", "团结",
                   "育才", "滨江", "站前", "五一", "向阳", "红旗", "长寿", "秀水", "锦绣", "迎宾", "振兴", "金桥",
                   "天岳", "书院", "南门", "北门", "东门", "西门", "花园", "翠竹", "丽景", "康乐", "福寿", "新村",
                   "龙腾", "凤凰", "华庭", "学府", "沿河", "三角", "杨家", "桂花", "荷塘", "紫薇", "枫叶", "阳光"]
ESTATE_SUFFIXES = ["小区", "花园", "家园", "苑", "新村", "公寓"]
NUMERALS = "一二三四五六七八九十"

# Short names; the full name is 示范县<short>有限公司.
COMPANY_NAMES = ["宏达建材", "湘味食品", "天岳茶业", "金源纺织", "汇丰电子科技", "华强机械制造", "绿源农业开发", "鑫泰物流",
                 "恒昌制药", "永安水泥", "顺发汽车运输", "东方鞋业", "福临酱菜", "金叶烟草物资", "新星包装材料", "中天建筑工程",
                 "瑞丰米业", "同心医疗器械", "锦华服饰", "长青生物科技"]
DEPARTMENT_NAMES = ["生产部", "质检部", "仓储物流部", "行政部", "销售部"]
TEAM_NAMES = ["一班组", "二班组", "三班组", "四班组"]

CHECKPOINT_NAMES = ["高速示范收费站卡口", "国道北入口卡口", "国道南入口卡口", "省道东线卡口", "省道西线卡口",
                    "县汽车站查验点", "火车站出站口查验点", "码头渡口卡口", "县道交界卡口", "物流园货运查验点"]
ISOLATION_SITE_NAMES = ["示范县第一集中隔离点（天岳宾馆）", "示范县第二集中隔离点（党校）", "示范县第三集中隔离点（职教中心宿舍）",
                        "示范县第四集中隔离点（温泉山庄）"]
ISOLATION_ROOMS = [80, 70, 50, 40]
VENUE_KINDS = ["农贸市场", "汽车站", "大型超市", "宾馆", "网吧", "敬老院"]

# County-level departments, named in the leading group's task groups (not units of the tree).
COUNTY_GROUPS = [
    ("综合组", "县政府办", "县委办、县卫健局、县应急管理局、县发改局",
     "统筹协调、信息汇总上报、会议组织、文件起草"),
    ("疫情防控组", "县卫健局", "县疾控中心、县公安局、县教育局、县交通运输局、各乡镇（街道）",
     "重点人员排查管控、流调溯源、核酸检测、隔离点管理"),
    ("医疗救治组", "县卫健局", "县人民医院、县中医医院、各乡镇卫生院（社区卫生服务中心）",
     "发热门诊、“三区两通道”、病人救治及转诊"),
    ("宣传组", "县委宣传部", "县融媒体中心、县委网信办、县文旅广体局",
     "防控知识宣传、新闻发布、网络舆情引导"),
    ("应急处置组", "县公安局", "县交通运输局、县应急管理局、县城管局、各卡口",
     "突发事件处置、卡口查验、社会面管控"),
    ("后勤保障组", "县发改局", "县财政局、县商务局、县市场监管局、县工信局",
     "防疫物资储备调配、生活物资保障、经费保障"),
    ("督导督查组", "县纪委监委", "县委组织部、县委督查室、县政府督查室",
     "督导检查、暗访、问题整改和追责问责"),
]
TOWN_GROUPS = [
    ("综合组", "党政办", "社会事业综合服务中心、财政所", "信息汇总上报、会议组织、工作预案制订"),
    ("疫情防控组", "社会事业综合服务中心", "派出所、卫生院、市场所、各村（居）", "重点人员排查管控、数据排查核实、“五包一”落实"),
    ("医疗救治组", "卫生院", "县第二人民医院、各村卫生室", "发热病人筛查、核酸采样、转诊"),
    ("宣传组", "党政办", "党建办、宣传干事", "村村响、微信群宣传、舆情回复"),
    ("应急处置组", "派出所", "社会治安和应急管理办、行政综合执法大队", "突发事件处置、卡口值守、聚集性活动管控"),
    ("后勤保障组", "党政办", "财政所、民政所", "防疫物资储备分发、后勤保障"),
    ("督导督查组", "镇纪委", "党政办、社会事业综合服务中心", "督查落实、作风纪律、督查情况通报（一天一通报）"),
]
COUNTY_LEADER_TITLES = ["县委副书记", "县委常委、常务副县长", "县委常委、组织部部长", "县委常委、宣传部部长",
                        "县委常委、政法委书记", "县人大常委会副主任", "副县长", "县政协副主席"]


def numeral(n):
    """1..99 as Chinese numerals (一, 十二, 二十三), for 一组, 二组 …"""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def distinct_names(rng: random.Random, count, make):
    """`count` different names from `make(rng)`, in the order drawn."""
    names, seen = [], set()
    while len(names) < count:
        name = make(rng)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def village_stem(rng):
    return rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND)
