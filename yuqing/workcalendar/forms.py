"""Portal forms of the business calendar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yuqing.workcalendar.services.holiday_file import text_decode
from yuqing.workcalendar.services.notice import MAX_TEXT_LENGTH
from yuqing.workcalendar.statutory import FIRST_YEAR, LAST_YEAR

MAX_UPLOAD_BYTES = 100 * 1024


class NoticeLoadForm(forms.Form):
    """The year and the notice, pasted or as a .txt file (the file wins when both are given)."""

    year = forms.IntegerField(label=_("年份"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    text = forms.CharField(
        label=_("通知正文"),
        required=False,
        max_length=MAX_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("从国务院办公厅通知中复制全文粘贴，例如“一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。”"),
    )
    file = forms.FileField(
        label=_("或上传 .txt 文件"),
        required=False,
        help_text=_("UTF-8 或 GBK 编码的纯文本文件，最大 100 KB。"),
    )

    def clean_file(self) -> str | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if not upload.name.lower().endswith(".txt"):
            raise forms.ValidationError(_("请上传 .txt 纯文本文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 100 KB，请只保留通知正文。"))
        text = text_decode(upload.read())
        if text is None:
            raise forms.ValidationError(_("无法识别文件编码，请另存为 UTF-8 编码的文本文件。"))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        notice_text = data.get("file") or data.get("text") or ""
        if not notice_text.strip() and not self.errors:
            raise forms.ValidationError(_("请粘贴通知正文或上传 .txt 文件。"))
        data["notice_text"] = notice_text
        return data
