"""The competences of the digital-skills framework (Thông tư 02/2025/TT-BGDĐT) in words a learner understands.

Codes like "4.2" stay in the data and the API; pages and reasons show these names instead. Each name follows the
framework's competence, said the way a trainer would say it to an older learner.
"""

from __future__ import annotations

#: "D.C" -> plain name. Domains: 1 information, 2 communication, 3 content, 4 safety, 5 problem solving, 6 AI.
COMPETENCE_NAMES: dict[str, str] = {
    "1.1": "Tìm kiếm thông tin trên mạng",
    "1.2": "Phân biệt thông tin thật, giả",
    "1.3": "Lưu trữ và sắp xếp thông tin, tài liệu",
    "2.1": "Liên lạc qua điện thoại và mạng",
    "2.2": "Chia sẻ thông tin, hình ảnh",
    "2.3": "Dùng dịch vụ công trực tuyến",
    "2.4": "Cùng làm việc qua mạng",
    "2.5": "Cư xử đúng mực trên mạng",
    "2.6": "Quản lý tài khoản và danh tính số (như VNeID)",
    "3.1": "Tạo nội dung số (chữ, ảnh, video)",
    "3.2": "Chỉnh sửa, kết hợp nội dung có sẵn",
    "3.3": "Tôn trọng bản quyền",
    "3.4": "Ra lệnh cho máy làm việc (lập trình đơn giản)",
    "4.1": "Bảo vệ điện thoại, máy tính",
    "4.2": "Bảo vệ thông tin cá nhân, tài khoản và tiền",
    "4.3": "Giữ sức khỏe khi dùng thiết bị số",
    "4.4": "Bảo vệ môi trường khi dùng thiết bị số",
    "5.1": "Tự xử lý trục trặc của điện thoại, ứng dụng",
    "5.2": "Chọn công cụ số phù hợp với việc cần làm",
    "5.3": "Dùng công nghệ số để làm việc hay hơn",
    "5.4": "Tự học thêm kỹ năng số",
    "6.1": "Hiểu trí tuệ nhân tạo (AI) là gì",
    "6.2": "Dùng trí tuệ nhân tạo (AI) đúng cách",
    "6.3": "Đánh giá câu trả lời của trí tuệ nhân tạo (AI)",
}


def competence_name(code: str) -> str:
    """The plain name of a competence code; an unknown code is returned as it is (never raises)."""
    return COMPETENCE_NAMES.get(code, code)
