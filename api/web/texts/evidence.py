"""Page texts: evidence. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
    # the objection form's files
    "evidence.files": ("证据材料", "Evidence files"),
    "evidence.hint": ("可附 PDF、JPEG 或 PNG 文件，最多 {n} 个，每个不超过 {mb} MB。",
                      "PDF, JPEG or PNG files: at most {n}, each up to {mb} MB."),
    "evidence.choose_again": ("文件未保存，已填写的其他内容已保留：请重新选择文件。",
                              "The files were not saved; the rest of the form is kept. Choose the files again."),
    "evidence.too_large": ("有文件超过大小上限，请重新选择。", "A file is over the size limit; choose again."),
    "evidence.too_many": ("文件数量超过上限，请重新选择。", "Too many files; choose again."),
    # the files listed on the review page and the person's own page
    "evidence.kind.application/pdf": ("PDF 文件", "PDF"),
    "evidence.kind.image/jpeg": ("JPEG 图片", "JPEG image"),
    "evidence.kind.image/png": ("PNG 图片", "PNG image"),
    "evidence.size": ("{kb} KB", "{kb} KB"),
    # the person's history (api/web/history.py): the audit entry of each file
    "history.action.objection.evidence": ("提交证据材料", "Evidence filed"),
    "history.field.file_name": ("文件名", "file name"),
    "history.field.media_type": ("文件类型", "file type"),
    "history.field.size": ("大小（字节）", "size (bytes)"),
    "history.field.sha256": ("SHA-256", "SHA-256"),
    # the review form
    "form.band": ("该情形的分值档：{low}–{high} 分", "This violation's band: {low}–{high} points"),
    # error codes of evidence files
    "error.EVIDENCE_TOO_LARGE": ("证据文件 {name} 超过大小上限（每个文件不超过 {mb} MB）。",
                                 "Evidence file {name} is over the size limit ({mb} MB per file)."),
    "error.EVIDENCE_TYPE": ("证据文件 {name} 不是 PDF、JPEG 或 PNG 文件（按文件内容判断，而非文件名）。",
                            "Evidence file {name} is not a PDF, JPEG or PNG file (judged by its content)."),
    "error.EVIDENCE_TOO_MANY": ("每项异议最多附 {limit} 个证据文件（已有 {already} 个，本次 {sent} 个）。",
                                "An objection carries at most {limit} evidence files ({already} filed, {sent} sent)."),
    "error.EVIDENCE_NOT_FOUND": ("未找到该证据文件，或您无权查看。", "No such evidence file, or not yours to see."),
    "error.OBJECTION_NOT_FOUND": ("未找到该异议，或您无权查看。", "No such objection, or not yours to see."),
    "error.OBJECTION_CLOSED": ("异议 {objection} 已复核，不能再补充证据材料。",
                               "Objection {objection} was already reviewed; no evidence can be added."),
}
