"""Everything a report is made of after the analysis: the template context, the JSON summary,
charts, the sandboxed rendering, escaping, the index and atomic writing."""
