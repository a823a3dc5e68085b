"""What the bot knows and how it reads a message; pure (no I/O beyond its own files), and
it imports nothing of the project's other packages.

- faq.yaml, synonyms.yaml, stopwords.txt, userdict.txt: the FAQ knowledge.
- intents.yaml: what owners say when they want something done, by intent.
- lexicon.yaml: words naming institutions, loan kinds and 担保方式 (the slots).
- knowledge.understanding: Understander.understand(): intent and slots of one message.
- knowledge.intents / knowledge.slots: the intent matcher and the slot reader under it.
- knowledge.matcher: FaqMatcher.load() / ask() / looks_like_question(), check_knowledge().
- knowledge.ranking: the BM25+ engine both rank with; knowledge.pinyin its homophone
  channel; knowledge.text tokenisation; knowledge.normal and knowledge.numbers the
  normal forms, amounts and terms the forms share.
- knowledge.loader: reading and validating the FAQ files (no jieba).
- knowledge.overlay: the operators' stored FAQ edits, applied to faq.yaml before the checks.
- knowledge.cli: format_ranking() and run_check() for `python -m bot faq ...`.
"""
