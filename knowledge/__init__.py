"""FAQ knowledge of the 融信服 bot and its matcher.

- faq.yaml, synonyms.yaml, stopwords.txt, userdict.txt: the knowledge (edit these).
- knowledge.matcher: FaqMatcher.load() / ask() / looks_like_question(), check_knowledge().
- knowledge.loader: reading and validating the files (no jieba).
- knowledge.text: normalisation, synonyms, jieba tokenisation.
- knowledge.cli: format_ranking() and run_check() for `python -m bot faq ...`.
"""
