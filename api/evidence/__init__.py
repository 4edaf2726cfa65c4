"""Evidence files (证据材料) filed with an objection: PDF, JPEG or PNG, size-limited, stored in the database with
the objection, shown to the objecting practitioner and to the supervisors who may see the objection."""
