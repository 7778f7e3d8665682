"""ISIC Rev.4 section and division titles, marked for translation.

Generated from schemas/data/isic-rev4.csv (tests/directory/test_pages_i18n.py checks they
match). Only these levels are translated; groups and classes show the English title.
"""

# ruff: noqa: E501
from __future__ import annotations


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated where shown."""
    return text


TITLES = (
    N_("Agriculture, forestry and fishing"),  # A
    N_("Crop and animal production, hunting and related service activities"),  # 01
    N_("Forestry and logging"),  # 02
    N_("Fishing and aquaculture"),  # 03
    N_("Mining and quarrying"),  # B
    N_("Mining of coal and lignite"),  # 05
    N_("Extraction of crude petroleum and natural gas"),  # 06
    N_("Mining of metal ores"),  # 07
    N_("Other mining and quarrying"),  # 08
    N_("Mining support service activities"),  # 09
    N_("Manufacturing"),  # C
    N_("Manufacture of food products"),  # 10
    N_("Manufacture of beverages"),  # 11
    N_("Manufacture of tobacco products"),  # 12
    N_("Manufacture of textiles"),  # 13
    N_("Manufacture of wearing apparel"),  # 14
    N_("Manufacture of leather and related products"),  # 15
    N_(
        "Manufacture of wood and of products of wood and cork, except furniture; manufacture of articles of straw and plaiting materials"
    ),  # 16
    N_("Manufacture of paper and paper products"),  # 17
    N_("Printing and reproduction of recorded media"),  # 18
    N_("Manufacture of coke and refined petroleum products"),  # 19
    N_("Manufacture of chemicals and chemical products"),  # 20
    N_("Manufacture of basic pharmaceutical products and pharmaceutical preparations"),  # 21
    N_("Manufacture of rubber and plastics products"),  # 22
    N_("Manufacture of other non-metallic mineral products"),  # 23
    N_("Manufacture of basic metals"),  # 24
    N_("Manufacture of fabricated metal products, except machinery and equipment"),  # 25
    N_("Manufacture of computer, electronic and optical products"),  # 26
    N_("Manufacture of electrical equipment"),  # 27
    N_("Manufacture of machinery and equipment n.e.c."),  # 28
    N_("Manufacture of motor vehicles, trailers and semi-trailers"),  # 29
    N_("Manufacture of other transport equipment"),  # 30
    N_("Manufacture of furniture"),  # 31
    N_("Other manufacturing"),  # 32
    N_("Repair and installation of machinery and equipment"),  # 33
    N_("Electricity, gas, steam and air conditioning supply"),  # D
    N_("Electricity, gas, steam and air conditioning supply"),  # 35
    N_("Water supply; sewerage, waste management and remediation activities"),  # E
    N_("Water collection, treatment and supply"),  # 36
    N_("Sewerage"),  # 37
    N_("Waste collection, treatment and disposal activities; materials recovery"),  # 38
    N_("Remediation activities and other waste management services"),  # 39
    N_("Construction"),  # F
    N_("Construction of buildings"),  # 41
    N_("Civil engineering"),  # 42
    N_("Specialized construction activities"),  # 43
    N_("Wholesale and retail trade; repair of motor vehicles and motorcycles"),  # G
    N_("Wholesale and retail trade and repair of motor vehicles and motorcycles"),  # 45
    N_("Wholesale trade, except of motor vehicles and motorcycles"),  # 46
    N_("Retail trade, except of motor vehicles and motorcycles"),  # 47
    N_("Transportation and storage"),  # H
    N_("Land transport and transport via pipelines"),  # 49
    N_("Water transport"),  # 50
    N_("Air transport"),  # 51
    N_("Warehousing and support activities for transportation"),  # 52
    N_("Postal and courier activities"),  # 53
    N_("Accommodation and food service activities"),  # I
    N_("Accommodation"),  # 55
    N_("Food and beverage service activities"),  # 56
    N_("Information and communication"),  # J
    N_("Publishing activities"),  # 58
    N_(
        "Motion picture, video and television programme production, sound recording and music publishing activities"
    ),  # 59
    N_("Programming and broadcasting activities"),  # 60
    N_("Telecommunications"),  # 61
    N_("Computer programming, consultancy and related activities"),  # 62
    N_("Information service activities"),  # 63
    N_("Financial and insurance activities"),  # K
    N_("Financial service activities, except insurance and pension funding"),  # 64
    N_("Insurance, reinsurance and pension funding, except compulsory social security"),  # 65
    N_("Activities auxiliary to financial service and insurance activities"),  # 66
    N_("Real estate activities"),  # L
    N_("Real estate activities"),  # 68
    N_("Professional, scientific and technical activities"),  # M
    N_("Legal and accounting activities"),  # 69
    N_("Activities of head offices; management consultancy activities"),  # 70
    N_("Architectural and engineering activities; technical testing and analysis"),  # 71
    N_("Scientific research and development"),  # 72
    N_("Advertising and market research"),  # 73
    N_("Other professional, scientific and technical activities"),  # 74
    N_("Veterinary activities"),  # 75
    N_("Administrative and support service activities"),  # N
    N_("Rental and leasing activities"),  # 77
    N_("Employment activities"),  # 78
    N_("Travel agency, tour operator, reservation service and related activities"),  # 79
    N_("Security and investigation activities"),  # 80
    N_("Services to buildings and landscape activities"),  # 81
    N_("Office administrative, office support and other business support activities"),  # 82
    N_("Public administration and defence; compulsory social security"),  # O
    N_("Public administration and defence; compulsory social security"),  # 84
    N_("Education"),  # P
    N_("Education"),  # 85
    N_("Human health and social work activities"),  # Q
    N_("Human health activities"),  # 86
    N_("Residential care activities"),  # 87
    N_("Social work activities without accommodation"),  # 88
    N_("Arts, entertainment and recreation"),  # R
    N_("Creative, arts and entertainment activities"),  # 90
    N_("Libraries, archives, museums and other cultural activities"),  # 91
    N_("Gambling and betting activities"),  # 92
    N_("Sports activities and amusement and recreation activities"),  # 93
    N_("Other service activities"),  # S
    N_("Activities of membership organizations"),  # 94
    N_("Repair of computers and personal and household goods"),  # 95
    N_("Other personal service activities"),  # 96
    N_(
        "Activities of households as employers; undifferentiated goods- and services-producing activities of households for own use"
    ),  # T
    N_("Activities of households as employers of domestic personnel"),  # 97
    N_(
        "Undifferentiated goods- and services-producing activities of private households for own use"
    ),  # 98
    N_("Activities of extraterritorial organizations and bodies"),  # U
    N_("Activities of extraterritorial organizations and bodies"),  # 99
)
