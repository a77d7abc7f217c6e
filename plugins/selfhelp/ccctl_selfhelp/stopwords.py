"""Short French and English stop-word lists (words too common to help a search).

Kept small on purpose: a word missing here only costs a little ranking precision,
while a content word listed here would become unsearchable.
"""

FRENCH = """
a ai aie aient aies ait apres as au aucun aussi autre aux avais avait avant avec avez avoir avons
bonjour bonsoir c ca car ce ceci cela celle celles celui ces cet cette chez comme comment d
dans de des donc dont du elle elles en est et etaient etait ete etes etre eu eux faire fait
il ils j je jusqu l la le les leur leurs lui m ma mais me meme mes merci moi mon n ne ni
nos notre nous on ont ou par pas peu peut peux plus pour pourquoi puis qu quand que quel quelle
quelles quels qui quoi s sa sans se sera serai ses si son sont sous suis sur t ta te tes toi ton tous tout
tres tu un une vos votre vous y
"""

ENGLISH = """
a about after all am an and any are as at be been before being but by can could did do does
doing for from had has have having he her hello here hers him his how i if in into is it its
me my no not of on or our ours please she should so than thank thanks that the their them
then there these they this those to too us very was we were what when where which who why
will with would you your yours
"""

STOPWORDS = frozenset(FRENCH.split()) | frozenset(ENGLISH.split())
