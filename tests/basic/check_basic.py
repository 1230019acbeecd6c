#!/usr/bin/python3
"""check_basic.py - static check of the mvsmtp MultiValue BASIC sources (basic/).

Usage:
  check_basic.py [--root DIR] [FILE ...]      check FILEs, or every item under DIR (basic/)
  check_basic.py [--root DIR] --expect-failure FILE ...
        each FILE must make the checker exit 1, print the fragment of its "EXPECT:" line, and
        report exactly one problem (or the number on a "PROBLEMS: n" line)

It parses, it does not grep. A lexer cuts each line into tokens: strings '..', "..", \\..\\;
comments *, ! and REM at a statement's start and ;* after one; labels NNN and NAME: at the
line's start; ';' separates statements (not inside parentheses); a line ending in a comma or
inside parentheses continues on the next. A recursive-descent statement parser then walks the
tokens with a stack of open blocks and records CALLs, GOSUB/GOTO targets, labels, EQUs and
their uses, $INCLUDEs and every keyword used as a statement or a function.

Checks, each reported as "path:line: message":
  - blocks balance: IF/THEN/ELSE (END ELSE continues), the THEN/ELSE/LOCKED/ON ERROR clauses
    of READ, OPEN, OPENSEQ, LOCATE, ...; LOOP/REPEAT; FOR/NEXT (NEXT names its FOR's
    variable); BEGIN CASE/CASE/END CASE; WHILE, UNTIL, EXIT, CONTINUE sit inside a loop;
  - a SUBROUTINE/PROGRAM item starts with its header (a SUBROUTINE named like its item) and
    ends with a final END, nothing after it; a SUBROUTINE has a RETURN; an include item has
    no header and no END;
  - every CALL names a SUBROUTINE item of the root, common or in the caller's platform folder
    (from common code: in every platform folder the caller runs on), with as many arguments
    as the SUBROUTINE has parameters; or a C function listed for the caller's platform in
    external_names.txt. C is called only from basic/platform/<p>/ (CALL, CALLC, D3 %name,
    jBASE DEFC/DEFCE), CALLC only in its documented forms, a D3 %name only with CFUNCTION;
  - every identifier with an equate prefix (M. O. R. S. E. SMTP. MVSMTP. MVS.) is EQUated in
    the item or in what it $INCLUDEs, recursively: an item is searched in the includer's
    folder, the root, and basic/platform/<p>/, once per platform the includer runs on. No EQU
    is defined twice, no EQU is assigned to;
  - GOSUB/GOTO/ON ... GOSUB/RETURN TO targets are labels of the item (or of included code);
    no label is defined twice;
  - portability: common items use only statements, functions and @-variables found in all
    four keyword lists of data/mvbasic-keywords (UniVerse, UniData, D3, jBASE; @-variables
    against the two lists that have any, UniVerse and jBASE); basic/platform/<p>/ items use
    their own dialect's list. portability_allow.txt lists known gaps of the lists.
Exit status: 0 clean, 1 problems found, 2 usage error. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KEYWORD_DIRS = [os.path.join(REPO, 'docs', 'data', 'mvbasic-keywords'),
                os.path.join(os.path.dirname(REPO), 'shared', 'data', 'mvbasic-keywords'),
                '/work/shared/data/mvbasic-keywords']

DIALECTS = ['UniVerse', 'UniData', 'd3', 'jBASE']          # the four targets
PLATFORMS = ['universe', 'unidata', 'd3', 'jbase']          # their basic/platform/ folders
PLATFORM_DIALECT = {'universe': 'UniVerse', 'unidata': 'UniData', 'd3': 'd3',
                    'jbase': 'jBASE', 'qm': 'QM'}
# M. O. R. S. E. SMTP. come from SMTP.H, MVSMTP. from MVSMTP.CONFIG.H, MVS. from the
# per-platform MVSMTP.PLATFORM.H (marks) and local constants such as MVS.SHIM.CAPACITY.
EQUATE_PREFIX = re.compile(r'^(M|O|R|S|E|SMTP|MVSMTP|MVS)\.[A-Za-z0-9]', re.I)
NOT_BASIC_EXT = {'md', 'txt', 'json', 'py', 'sh', 'cmake', 'yml', 'yaml', 'ini', 'cfg',
                 'def', 'in', 'out', 'c', 'cpp', 'h', 'hpp', 'orig', 'rej', 'swp', 'bak'}

# statements that take THEN/ELSE clauses: inside a one-line IF clause they, not the IF, own a
# following ELSE. (WRITE, DELETE, CLOSESEQ ... take only LOCKED / ON ERROR, which any statement
# may own.)
CLAUSE_STMTS = set('''READ READU READL READV READVU READVL MATREAD MATREADU MATREADL READT
  READNEXT READLIST READSEQ READBLK READFWD READBCK READX WRITESEQ WRITESEQF WRITEBLK WRITET
  DELETESEQ OPEN OPENSEQ OPENPATH OPENDEV OPENINDEX OPENSER OSOPEN OSREAD OSBREAD LOCATE
  GETLIST FILELOCK LOCK UNLOCK NOBUF SEEK WEOF WEOFSEQ CREATE GET GETX SEND SENDX INPUT
  EXECUTE SELECT SSELECT SELECTN SELECTV SELECTE SELECTINDEX FIND FINDSTR PROCREAD
  TRANSACTION COMMIT READXML'''.split())
CLAUSE_RANK = {'ON ERROR': 0, 'LOCKED': 1, 'THEN': 2, 'ELSE': 3}
CLOSER = {'LOOP': 'REPEAT', 'FOR': 'NEXT', 'CASE': 'END CASE', 'TRANSACTION': 'END TRANSACTION'}
ASSIGN_OPS = {'=', '+=', '-=', '*=', '/=', ':='}


# ---------------------------------------------------------------- keyword lists
def load_keywords():
    """{dialect: set of upper-case words}. Multi-word keys ('Begin Case', 'FOR/NEXT',
    'on...gosub', 'LOCATE Function') give each of their words."""
    for d in KEYWORD_DIRS:
        if os.path.isfile(os.path.join(d, 'UniVerseLanguage.json')):
            break
    else:
        raise SystemExit('check_basic: mvbasic-keywords lists not found in %s' % KEYWORD_DIRS)
    filler = {'STATEMENT', 'SKELETON', 'MODERN', 'ARG'}
    sets = {}
    for dialect in DIALECTS + ['QM']:
        with open(os.path.join(d, dialect + 'Language.json'), encoding='utf-8') as f:
            data = json.load(f)
        words = set()
        for entry in data['Language']['Keywords']:
            key = entry['key'].replace('...', ' ')
            for w in re.findall(r'[$%#@]?[A-Za-z][A-Za-z0-9_.$%]*', key):
                w = w.upper().rstrip('.')
                if w not in filler:
                    words.add(w)
        sets[dialect] = words
    return sets


def read_list(path, problems):
    """Lines 'WORD  dialect[,dialect]  # why'. A line without a justification is a problem."""
    rows = []
    if not os.path.isfile(path):
        return rows
    with open(path, encoding='utf-8') as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            body, _, why = line.partition('#')
            parts = body.split()
            if len(parts) != 2 or not why.strip():
                problems.append((path, n, 'allow-list line must be "NAME  platforms  # why": %r'
                                 % line))
                continue
            rows.append((parts[0], [p.strip() for p in parts[1].split(',') if p.strip()], n))
    return rows


# ---------------------------------------------------------------- lexer
class Tok:
    __slots__ = ('kind', 'text', 'line', 'up')

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line    # kind: id num str op semi
        self.up = text.upper()

    def __repr__(self):
        return '%s:%r' % (self.kind, self.text)


RE_NUM_LABEL = re.compile(r'\s*(\d+)(?::|(?=\s)|$)')
RE_ALPHA_LABEL = re.compile(r'\s*([A-Za-z][A-Za-z0-9_.$]*):(?!=)')
RE_ID = re.compile(r'[A-Za-z_$%][A-Za-z0-9_.$%]*')
RE_AT = re.compile(r'@[A-Za-z0-9_.]*')
RE_NUM = re.compile(r'\d+(?:\.\d*)?|\.\d+')
RE_REM = re.compile(r'REM(?=\s|$)(?!\s*=)', re.I)


def lex_line(text, lineno, continued, problems, path):
    """-> (label or None, [Tok]). Comments are dropped; trailing ';' too."""
    label = None
    i = 0
    if not continued:
        m = RE_NUM_LABEL.match(text) or RE_ALPHA_LABEL.match(text)
        if m:
            label = m.group(1)
            i = m.end()
    toks = []
    start = not continued
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in ' \t\r\f\x1a':
            i += 1
            continue
        if start:
            if c in '*!' or RE_REM.match(text, i):
                break
        if c == ';' and depth > 0:                  # LOCATE(X, L; POS): not a separator
            toks.append(Tok('op', ';', lineno))
            i += 1
            continue
        if c == ';':
            toks.append(Tok('semi', ';', lineno))
            start = True
            i += 1
            continue
        if c == '(':
            depth += 1
        elif c == ')':
            depth = max(0, depth - 1)
        start = False
        if c in '\'"\\':
            j = text.find(c, i + 1)
            if j < 0:
                problems.append((path, lineno, 'unterminated string starting %s' % text[i:i + 20]))
                j = n - 1
            toks.append(Tok('str', text[i + 1:j], lineno))
            i = j + 1
            continue
        m = RE_ID.match(text, i)
        if m:
            toks.append(Tok('id', m.group(0), lineno))
            i = m.end()
            continue
        if c == '#' and not toks and re.match(r'#include\b', text[i:], re.I):
            toks.append(Tok('id', text[i:i + 8], lineno))
            i += 8
            continue
        m = RE_AT.match(text, i)
        if m:
            toks.append(Tok('id', m.group(0), lineno))
            i = m.end()
            continue
        m = RE_NUM.match(text, i)
        if m:
            toks.append(Tok('num', m.group(0), lineno))
            i = m.end()
            continue
        if text[i:i + 2] in ('+=', '-=', '*=', '/=', ':=', '**'):
            toks.append(Tok('op', text[i:i + 2], lineno))
            i += 2
            continue
        toks.append(Tok('op', c, lineno))
        i += 1
    while toks and toks[-1].kind == 'semi':
        toks.pop()
    return label, toks


def logical_lines(path, problems):
    """[(lineno, indent, label, toks)] for each logical line of a file."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        problems.append((path, 0, 'cannot read: %s' % e))
        return []
    if b'\xfe' in raw and b'\n' not in raw:
        raw = raw.replace(b'\xfe', b'\n')        # an item saved with attribute marks as lines
    text = raw.decode('utf-8', errors='replace')
    out = []
    pending = None            # (lineno, indent, label, toks) awaiting continuation
    for n, line in enumerate(text.split('\n'), 1):
        label, toks = lex_line(line, n, pending is not None, problems, path)
        if pending is not None:
            pending[3].extend(toks)
            cur = pending
        else:
            indent = len(line) - len(line.lstrip(' \t'))
            cur = [n, indent, label, toks]
        if cur[3] and continues(cur[3]):
            pending = cur
            continue
        pending = None
        out.append(tuple(cur))
    if pending is not None:
        out.append(tuple(pending))
    return out


def continues(toks):
    if toks[-1].text == ',' and toks[-1].kind == 'op':
        return True
    depth = 0
    for t in toks:
        if t.kind == 'op':
            if t.text == '(':
                depth += 1
            elif t.text == ')':
                depth -= 1
    return depth > 0


# ---------------------------------------------------------------- parser
class Block:
    __slots__ = ('kind', 'kw', 'owner', 'line', 'indent', 'var', 'ncase')

    def __init__(self, kind, line, indent, kw=None, owner=None, var=None):
        self.kind, self.line, self.indent = kind, line, indent
        self.kw, self.owner, self.var, self.ncase = kw, owner, var, 0

    def describe(self):
        if self.kind == 'clause':
            return '%s ... %s block opened at line %d' % (self.owner, self.kw, self.line)
        if self.kind == 'CASE':
            return 'BEGIN CASE opened at line %d' % self.line
        if self.kind == 'FOR':
            return 'FOR %s opened at line %d' % (self.var, self.line)
        return '%s opened at line %d' % (self.kind, self.line)

    def closer(self):
        return 'END' if self.kind == 'clause' else CLOSER[self.kind]


class Item:
    """Everything the parser learned about one source file."""

    def __init__(self, path, rel, platform):
        self.path, self.rel, self.platform = path, rel, platform
        self.name = os.path.basename(path)
        self.kind = 'include'          # subroutine / program / function / include
        self.header_name = None
        self.header_line = 0
        self.params = None
        self.problems = []             # (line, message)
        self.labels = {}
        self.jumps = []                # (label, line, how)
        self.calls = []                # (name, nargs, line)
        self.externals = []            # (name, line, how)
        self.c_decls = set()           # DEFC/DEFCE names
        self.cfunction = False         # D3 cfunction statement seen
        self.equ_local = {}            # name -> line
        self.equ_order = []            # (name, line) in source order
        self.include_positions = []    # (number of EQUs before it, item, line)
        self.includes = []             # (item, line, file-token)
        self.uses = []                 # (name, line, assigned)
        self.keywords = []             # (KEYWORD, line, 'statement'|'function')
        self.dims = set()
        self.deffuns = set()
        self.has_return = False
        self.final_end = 0


class Parser:
    def __init__(self, item, lines, external_all):
        self.it = item
        self.lines = lines
        self.external_all = external_all      # every allowed C name, any platform
        self.stack = []
        self.t = []
        self.i = 0
        self.line = 0
        self.indent = 0
        self.first_stmt = True
        self.after_final_reported = False
        self.it_indent = 0                    # indentation of the SUBROUTINE/PROGRAM line
        self.end_hint = ''                    # why the final END is missing, if it is
        self.last_code_line = max((l[0] for l in lines if l[3]), default=0)

    # -- helpers
    def problem(self, line, msg):
        self.it.problems.append((line, msg))

    def cur(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def eol(self):
        return self.i >= len(self.t)

    def stmt_end(self):
        t = self.cur()
        return t is None or t.kind == 'semi'

    def clause_kw(self, k=0):
        t = self.cur(k)
        if t is None or t.kind != 'id':
            return None
        if t.up in ('THEN', 'ELSE', 'LOCKED'):
            return t.up
        if t.up == 'ON':
            n = self.cur(k + 1)
            if n is not None and n.kind == 'id' and n.up == 'ERROR':
                return 'ON ERROR'
        return None

    def eat_clause_kw(self, kw):
        self.i += 2 if kw == 'ON ERROR' else 1

    def skip_group(self, j):
        """j at '(' or '[' or '<': index after the matching close."""
        open_t = self.t[j].text
        close_t = {'(': ')', '[': ']', '<': '>'}[open_t]
        depth = 0
        while j < len(self.t):
            x = self.t[j]
            if x.kind == 'op' and x.text == open_t:
                depth += 1
            elif x.kind == 'op' and x.text == close_t:
                depth -= 1
                if depth == 0:
                    return j + 1
            elif x.kind == 'semi':
                return j
            j += 1
        return j

    # -- driving
    def run(self):
        for lineno, indent, label, toks in self.lines:
            self.line, self.indent = lineno, indent
            if label is not None:
                if label in self.it.labels:
                    self.problem(lineno, 'label %s is already defined at line %d'
                                 % (label, self.it.labels[label]))
                else:
                    self.it.labels[label] = lineno
            if not toks:
                continue
            self.t, self.i = toks, 0
            while not self.eol():
                if self.cur().kind == 'semi':
                    self.i += 1
                    continue
                before = self.i
                self.statement(frozenset())
                if self.i == before:                   # never loop forever
                    self.i += 1
        self.finish()

    def finish(self):
        it = self.it
        for b in reversed(self.stack):
            self.problem(b.line, '%s is never closed (missing %s)' % (b.describe(), b.closer()))
        if it.kind in ('subroutine', 'program', 'function') and not it.final_end:
            self.problem(self.last_code_line or 1, 'no final END: every %s item ends with END%s'
                         % (it.kind.upper(), self.end_hint))
        if it.kind == 'subroutine' and not it.has_return:
            self.problem(it.header_line, 'SUBROUTINE %s has no RETURN' % it.header_name)

    # -- statements
    def statement(self, stop):
        t = self.cur()
        it = self.it
        if it.final_end and not self.after_final_reported:
            self.after_final_reported = True
            self.problem(t.line, 'statement after the final END at line %d (an extra END?)'
                         % it.final_end)
        if t.kind != 'id':
            self.problem(t.line, 'unexpected %r at the start of a statement' % t.text)
            self.skip_statement(stop)
            return
        up = t.up
        header = up in ('SUBROUTINE', 'PROGRAM', 'FUNCTION') and not self.is_assignment()
        if self.first_stmt:
            self.first_stmt = False
        elif header:
            self.problem(t.line, '%s must be the first statement of the item' % up)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.kind == 'CASE' and top.ncase == 0 and up not in ('CASE', 'END'):
            self.problem(t.line, 'statement between BEGIN CASE (line %d) and its first CASE'
                         % top.line)
        if self.is_assignment():
            self.assignment(stop)
            return
        handler = HANDLERS.get(up)
        if handler is not None:
            handler(self, stop)
            return
        self.generic(stop)

    def is_assignment(self):
        t0, t1 = self.cur(), self.cur(1)
        if t0 is None or t0.kind != 'id' or t0.text.startswith(('@', '$', '%', '#')):
            return False
        if t1 is None or t1.kind != 'op':
            return False
        if t1.text in ASSIGN_OPS:
            return True
        if t1.text not in ('(', '[', '<'):
            return False
        if t0.up in KW_UNION and t0.text not in self.it.dims and t1.text == '(':
            return False
        if t0.up in ('IF', 'CASE', 'WHILE', 'UNTIL', 'PRINT', 'CRT', 'DISPLAY', 'RETURN',
                     'LOCATE', 'CALL', 'FOR', 'END'):
            return False
        j = self.i + 1
        while j < len(self.t) and self.t[j].kind == 'op' and self.t[j].text in ('(', '[', '<'):
            j = self.skip_group(j)
        return j < len(self.t) and self.t[j].kind == 'op' and self.t[j].text in ASSIGN_OPS

    def assignment(self, stop):
        t = self.cur()
        if EQUATE_PREFIX.match(t.text) and t.text not in SUBROUTINE_NAMES:
            self.it.uses.append((t.text, t.line, True))
        self.i += 1
        self.scan(stop)
        kw = self.clause_kw()
        if kw is not None and kw not in stop:
            self.problem(self.cur().line, 'unexpected %s after an assignment' % kw)
            self.skip_statement(stop)

    def keyword(self, tok, how='statement', word=None):
        self.it.keywords.append((word or tok.up, tok.line, how))

    def generic(self, stop):
        t = self.cur()
        self.i += 1
        if t.text.startswith('%'):
            self.percent_call(t)
        elif t.text in self.it.c_decls:
            pass
        elif t.text in self.external_all:
            self.it.externals.append((t.text, t.line, 'call'))
        else:
            self.keyword(t)
        self.scan(stop | {'THEN', 'ELSE', 'LOCKED', 'ON ERROR'})
        self.after_clauses(t, stop)

    def after_clauses(self, owner, stop):
        kw = self.clause_kw()
        if kw is None:
            return
        if kw in stop and owner.up not in CLAUSE_STMTS:
            return                                  # belongs to an enclosing IF
        self.clauses(owner.up, stop, -1)

    def clauses(self, owner, stop, last_rank):
        while True:
            kw = self.clause_kw()
            if kw is None:
                return
            rank = CLAUSE_RANK[kw]
            if rank <= last_rank or (owner == 'IF' and kw not in ('THEN', 'ELSE')):
                if kw in stop:
                    return
                self.problem(self.cur().line, '%s is out of place in this %s statement'
                             % (kw, owner))
                self.skip_statement(stop)
                return
            last_rank = rank
            self.eat_clause_kw(kw)
            if self.eol():
                self.stack.append(Block('clause', self.line, self.indent, kw=kw, owner=owner))
                return
            inner = stop | {k for k, r in CLAUSE_RANK.items() if r > rank}
            while True:
                if self.stmt_end():
                    if self.eol():
                        return
                    self.i += 1                     # ';' : still in this clause
                    continue
                if self.clause_kw() is not None:
                    break
                before = self.i
                self.statement(frozenset(inner))
                if self.i == before:
                    self.i += 1

    def skip_statement(self, stop):
        while not self.stmt_end():
            kw = self.clause_kw()
            if kw is not None and kw in stop:
                return
            self.i += 1

    def scan(self, stop, until=()):
        """Walk expression tokens up to ';', end of line, a top-level word in stop (THEN,
        ELSE, LOCKED, ON ERROR) or in until. Record equate uses and function calls."""
        depth = 0
        while not self.stmt_end():
            t = self.cur()
            if t.kind == 'op':
                if t.text in '([':
                    depth += 1
                elif t.text in ')]':
                    depth -= 1
                self.i += 1
                continue
            if t.kind != 'id':
                self.i += 1
                continue
            if t.text.startswith('@'):
                if len(t.text) > 1:
                    self.keyword(t, '@-variable')
                self.i += 1
                continue
            if depth <= 0:
                kw = self.clause_kw()
                if kw is not None and kw in stop:
                    return
                if t.up in until:
                    return
                if t.up == 'REPEAT' and any(b.kind == 'LOOP' for b in self.stack):
                    return                          # LOOP ... DO X = X + 1 REPEAT on one line
            nxt = self.cur(1)
            paren = nxt is not None and nxt.kind == 'op' and nxt.text == '('
            if t.up == 'CALLC' and nxt is not None and nxt.kind == 'id':
                self.keyword(t, 'function')
                self.it.externals.append((nxt.text, nxt.line, 'CALLC'))
                self.i += 2
                continue
            if t.text.startswith('%'):
                self.percent_call(t)
            elif paren and t.text in self.it.c_decls:
                pass                                # declared by DEFC/DEFCE: checked there
            elif paren and t.text in self.external_all:
                self.it.externals.append((t.text, t.line, 'function'))
            elif paren and t.up in KW_UNION and t.text not in self.it.dims \
                    and t.text not in self.it.deffuns:
                self.keyword(t, 'function')
            elif EQUATE_PREFIX.match(t.text) and t.text not in SUBROUTINE_NAMES:
                self.it.uses.append((t.text, t.line, False))
            self.i += 1

    def percent_call(self, t):
        if t.up in KW_UNION:
            self.keyword(t, 'function')
        else:
            self.it.externals.append((t.text[1:], t.line, '%'))

    # -- block statements
    def st_if(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.scan(frozenset({'THEN', 'ELSE'}))
        kw = self.clause_kw()
        if kw not in ('THEN', 'ELSE'):
            self.problem(t.line, 'IF without THEN or ELSE')
            self.skip_statement(stop)
            return
        self.clauses('IF', stop, -1)

    def st_end(self, stop):
        t = self.cur()
        self.i += 1
        nxt = self.cur()
        if nxt is not None and nxt.kind == 'id' and nxt.up in ('CASE', 'TRANSACTION'):
            self.i += 1
            kind = 'CASE' if nxt.up == 'CASE' else 'TRANSACTION'
            self.pop_until(kind, 'END ' + nxt.up, t.line)
            return
        self.keyword(t)
        last = (t.line == self.last_code_line and self.stmt_end())
        top = self.stack[-1] if self.stack else None
        if top is None:
            self.final(t, stop)
            return
        if top.kind != 'clause':
            if last:
                self.final(t, stop)
                return
            while self.stack and self.stack[-1].kind != 'clause':
                b = self.stack.pop()
                self.problem(b.line, '%s is not closed before the END at line %d (missing %s)'
                             % (b.describe(), t.line, b.closer()))
            if not self.stack:
                self.final(t, stop)
                return
            top = self.stack[-1]
        if last and self.it.kind != 'include' and self.indent <= self.it_indent \
                and top.indent > self.it_indent:
            self.final(t, stop)                     # END at the margin: the item's own END
            return
        self.stack.pop()
        if last and self.it.kind != 'include':
            self.end_hint = ' (the END at line %d was taken to close the %s; is an END ' \
                            'missing inside it?)' % (t.line, top.describe())
        kw = self.clause_kw()
        if kw is not None:
            if top.owner == 'IF' and kw not in ('THEN', 'ELSE') or \
                    CLAUSE_RANK[kw] <= CLAUSE_RANK[top.kw]:
                self.problem(t.line, 'END %s cannot follow %s %s block' % (
                    kw, 'an' if top.kw[0] in 'AEIOU' else 'a', top.kw))
                self.clauses(top.owner, stop, -1)     # carry on as if it could
                return
            self.clauses(top.owner, stop, CLAUSE_RANK[top.kw])
        elif not self.stmt_end():
            self.problem(t.line, 'unexpected %r after END' % self.cur().text)
            self.skip_statement(stop)

    def final(self, t, stop):
        if self.stack:
            for b in reversed(self.stack):
                self.problem(b.line, '%s is never closed (missing %s)' % (b.describe(), b.closer()))
            self.stack = []
        if self.it.kind == 'include':
            self.problem(t.line, 'END in an include item ends the program that includes it')
        self.it.final_end = t.line
        if not self.stmt_end():
            self.problem(t.line, 'unexpected %r after the final END' % self.cur().text)
            self.skip_statement(stop)

    def pop_until(self, kind, closer, line):
        idx = None
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k].kind == kind:
                idx = k
                break
        if idx is None:
            opener = {'LOOP': 'LOOP', 'FOR': 'FOR', 'CASE': 'BEGIN CASE',
                      'TRANSACTION': 'BEGIN TRANSACTION'}[kind]
            self.problem(line, '%s without %s' % (closer, opener))
            self.skip_statement(frozenset())
            return None
        while len(self.stack) > idx + 1:
            b = self.stack.pop()
            self.problem(b.line, '%s is not closed before the %s at line %d (missing %s)'
                         % (b.describe(), closer, line, b.closer()))
        return self.stack.pop()

    def st_else_then(self, stop):
        t = self.cur()
        self.problem(t.line, '%s without a preceding IF or END' % t.up)
        self.i += 1
        self.skip_statement(stop)

    def st_loop(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.stack.append(Block('LOOP', t.line, self.indent))
        if not self.stmt_end():
            self.statement(stop)

    def st_while(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        if not any(b.kind == 'LOOP' for b in self.stack):
            self.problem(t.line, '%s outside LOOP ... REPEAT' % t.up)
        self.scan(stop, until=('DO',))
        d = self.cur()
        if d is not None and d.kind == 'id' and d.up == 'DO':
            self.i += 1
            if not self.stmt_end():
                self.statement(stop)

    def st_repeat(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.pop_until('LOOP', 'REPEAT', t.line)

    def st_for(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        v = self.cur()
        var = None
        if v is not None and v.kind == 'id':
            var = v.text
        eq = self.cur(1)
        if var is None or eq is None or eq.text != '=' or \
                not any(x.kind == 'id' and x.up == 'TO' for x in self.t):
            self.problem(t.line, 'FOR needs "FOR var = start TO end"')
        self.scan(stop)
        self.stack.append(Block('FOR', t.line, self.indent, var=var))

    def st_next(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        v = self.cur()
        var = v.text if v is not None and v.kind == 'id' else None
        if var is not None:
            self.i += 1
        b = self.pop_until('FOR', 'NEXT', t.line)
        if b is not None and var is not None and b.var is not None and var != b.var:
            self.problem(t.line, 'NEXT %s does not match FOR %s at line %d' % (var, b.var, b.line))

    def st_exit(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        if not any(b.kind in ('LOOP', 'FOR') for b in self.stack):
            self.problem(t.line, '%s outside a LOOP or FOR' % t.up)

    def st_begin(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        n = self.cur()
        if n is not None and n.kind == 'id' and n.up == 'CASE':
            self.i += 1
            self.stack.append(Block('CASE', t.line, self.indent))
        elif n is not None and n.kind == 'id' and n.up == 'TRANSACTION':
            self.i += 1
            self.stack.append(Block('TRANSACTION', t.line, self.indent))
        else:
            self.scan(stop)

    def st_case(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        idx = None
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k].kind == 'CASE':
                idx = k
                break
        if idx is None:
            self.problem(t.line, 'CASE outside BEGIN CASE ... END CASE')
        else:
            while len(self.stack) > idx + 1:
                b = self.stack.pop()
                self.problem(b.line, '%s is not closed before the CASE at line %d (missing %s)'
                             % (b.describe(), t.line, b.closer()))
            self.stack[idx].ncase += 1
        self.scan(stop)

    # -- other statements with structure the checker needs
    def st_call(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        n = self.cur()
        prefix = ''
        if n is not None and n.kind == 'op' and n.text in '*!':
            prefix = n.text                         # globally catalogued *NAME / !NAME
            self.i += 1
            n = self.cur()
        if n is None or n.kind != 'id':
            self.problem(t.line, 'CALL without a subroutine name')
            self.skip_statement(stop)
            return
        self.i += 1
        if n.text.startswith('@'):
            self.scan(stop)                         # CALL @VAR: resolved at run time
            return
        nargs = 0
        p = self.cur()
        if p is not None and p.kind == 'op' and p.text == '(':
            end = self.skip_group(self.i)
            inner = self.t[self.i + 1:end - 1]
            if inner:
                nargs = 1
                depth = 0
                for x in inner:
                    if x.kind == 'op' and x.text in '([':
                        depth += 1
                    elif x.kind == 'op' and x.text in ')]':
                        depth -= 1
                    elif x.kind == 'op' and x.text == ',' and depth == 0:
                        nargs += 1
        self.it.calls.append((n.text.lstrip('*!$'), nargs, n.line))
        self.scan(stop)

    def st_jump(self, stop):
        t = self.cur()
        self.keyword(t, word='GOTO' if t.up == 'GO' else None)     # GO [TO] is GOTO's spelling
        self.i += 1
        how = t.up
        if how == 'GO':
            n = self.cur()
            if n is not None and n.kind == 'id' and n.up == 'TO':
                self.i += 1
            how = 'GOTO'
        self.labels_list(how, stop)

    def labels_list(self, how, stop):
        while True:
            n = self.cur()
            if n is None or n.kind not in ('id', 'num'):
                self.problem(self.line, '%s without a label' % how)
                return
            self.it.jumps.append((n.text, n.line, how))
            self.i += 1
            n = self.cur()
            if n is not None and n.kind == 'op' and n.text == ':':
                self.i += 1
                n = self.cur()
            if n is not None and n.kind == 'op' and n.text == ',':
                self.i += 1
                continue
            break
        if not self.stmt_end() and self.clause_kw() not in stop:
            self.problem(self.line, 'unexpected %r after %s' % (self.cur().text, how))
            self.skip_statement(stop)

    def st_on(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.scan(stop, until=('GOSUB', 'GOTO', 'GO'))
        n = self.cur()
        if n is None or n.kind != 'id' or n.up not in ('GOSUB', 'GOTO', 'GO'):
            self.problem(t.line, 'ON without GOSUB or GOTO')
            return
        self.i += 1
        how = n.up
        if how == 'GO':
            m = self.cur()
            if m is not None and m.kind == 'id' and m.up == 'TO':
                self.i += 1
            how = 'GOTO'
        self.labels_list('ON ... ' + how, stop)

    def st_return(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.it.has_return = True
        n = self.cur()
        if n is not None and n.kind == 'id' and n.up == 'TO':
            self.i += 1
            self.labels_list('RETURN TO', stop)
            return
        self.scan(stop)

    def st_header(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        it = self.it
        n = self.cur()
        it.kind = t.up.lower()
        it.header_line = t.line
        self.it_indent = self.indent
        if n is None or n.kind != 'id':
            if t.up != 'PROGRAM':
                self.problem(t.line, '%s without a name' % t.up)
            it.header_name = it.name
            return
        it.header_name = n.text
        self.i += 1
        p = self.cur()
        params = 0
        if p is not None and p.kind == 'op' and p.text == '(':
            end = self.skip_group(self.i)
            inner = [x for x in self.t[self.i + 1:end - 1] if not (x.kind == 'id' and x.up == 'MAT')]
            params = (sum(1 for x in inner if x.kind == 'op' and x.text == ',') + 1) if inner else 0
            self.i = end
        it.params = params
        if n.text != it.name and t.up == 'SUBROUTINE':
            self.problem(t.line, 'SUBROUTINE %s is in item %s: CALL uses the catalogued '
                         '(item) name, so they should agree' % (n.text, it.name))
        if not self.stmt_end():
            self.problem(t.line, 'unexpected %r after the %s header' % (self.cur().text, t.up))
            self.skip_statement(stop)

    def st_equ(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        while True:
            n = self.cur()
            if n is None or n.kind != 'id':
                self.problem(t.line, '%s needs "name TO value"' % t.up)
                self.skip_statement(stop)
                return
            to = self.cur(1)
            if to is None or to.kind != 'id' or to.up not in ('TO', 'LIT', 'LITERALLY'):
                self.problem(t.line, '%s %s without TO' % (t.up, n.text))
                self.skip_statement(stop)
                return
            if n.text in self.it.equ_local:
                self.problem(n.line, 'EQU %s is already defined at line %d'
                             % (n.text, self.it.equ_local[n.text]))
            else:
                self.it.equ_local[n.text] = n.line
                self.it.equ_order.append((n.text, n.line))
            self.i += 2
            # value: up to a top-level comma
            depth = 0
            while not self.stmt_end():
                x = self.cur()
                if x.kind == 'op' and x.text in '([':
                    depth += 1
                elif x.kind == 'op' and x.text in ')]':
                    depth -= 1
                elif x.kind == 'op' and x.text == ',' and depth == 0:
                    break
                elif x.kind == 'id' and x.text.startswith('@'):
                    self.keyword(x, '@-variable')
                elif x.kind == 'id':
                    nx = self.cur(1)
                    if nx is not None and nx.kind == 'op' and nx.text == '(' and x.up in KW_UNION:
                        self.keyword(x, 'function')
                    elif EQUATE_PREFIX.match(x.text):
                        self.it.uses.append((x.text, x.line, False))
                self.i += 1
            if self.stmt_end():
                return
            self.i += 1                             # the comma: another name TO value

    def st_include(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        words = []
        while not self.stmt_end():
            x = self.cur()
            if x.kind == 'op' and x.text == ',':
                self.i += 1
                continue
            words.append(x.text)
            self.i += 1
        if not words or len(words) > 2:
            self.problem(t.line, '%s needs "[FILE] ITEM"' % t.up)
            return
        self.it.includes.append((words[-1], t.line, words[0] if len(words) == 2 else None))
        self.it.include_positions.append((len(self.it.equ_order), words[-1], t.line))

    def st_dim(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        depth = 0
        while not self.stmt_end():
            x = self.cur()
            if x.kind == 'op' and x.text == '(':
                depth += 1
            elif x.kind == 'op' and x.text == ')':
                depth -= 1
            elif x.kind == 'id' and depth == 0:
                self.it.dims.add(x.text)
            elif x.kind == 'id' and EQUATE_PREFIX.match(x.text):
                self.it.uses.append((x.text, x.line, False))
            self.i += 1

    def st_common(self, stop):
        self.st_dim(stop)                           # COMMON /name/ A, B(10): arrays too

    def st_deffun(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        n = self.cur()
        if n is not None and n.kind == 'id':
            self.it.deffuns.add(n.text)
            self.i += 1
        self.skip_statement(stop)

    def st_defc(self, stop):
        """jBASE DEFC/DEFCE [type] name(types): declares a C function."""
        t = self.cur()
        self.keyword(t)
        self.i += 1
        names = []
        while not self.stmt_end():
            x = self.cur()
            if x.kind == 'op' and x.text == '(':
                break
            if x.kind == 'id':
                names.append(x)
            self.i += 1
        if not names:
            self.problem(t.line, '%s without a function name' % t.up)
        else:
            self.it.c_decls.add(names[-1].text)
            self.it.externals.append((names[-1].text, names[-1].line, t.up))
        self.skip_statement(stop)

    def st_cfunction(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.it.cfunction = True                    # D3: cfunction user.builtin
        self.skip_statement(stop)

    def st_callc(self, stop):
        """UniData/jBASE: CALLC name[(args)] or CALLC @var[(args)]; as a function
        var = CALLC name(args) (an assignment, seen by scan())."""
        t = self.cur()
        self.keyword(t)
        self.i += 1
        n = self.cur()
        if n is None or n.kind != 'id':
            self.problem(t.line, 'CALLC without a C function name')
            self.skip_statement(stop)
            return
        after = self.cur(1)
        if after is not None and after.kind == 'op' and after.text in ASSIGN_OPS:
            self.problem(t.line, 'CALLC %s %s ...: not a CALLC form; write "CALLC name(args)" '
                         'or "%s = CALLC name(args)"' % (n.text, after.text, n.text))
            self.skip_statement(stop)
            return
        self.i += 1
        if not n.text.startswith('@'):
            self.it.externals.append((n.text, n.line, 'CALLC'))
        self.scan(stop)

    def st_let(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        if self.is_assignment():
            self.assignment(stop)
        else:
            self.scan(stop)

    def st_mat(self, stop):
        t = self.cur()
        self.keyword(t)
        self.i += 1
        self.scan(stop)


HANDLERS = {
    'IF': Parser.st_if, 'END': Parser.st_end, 'ELSE': Parser.st_else_then,
    'THEN': Parser.st_else_then, 'LOOP': Parser.st_loop, 'WHILE': Parser.st_while,
    'UNTIL': Parser.st_while, 'REPEAT': Parser.st_repeat, 'FOR': Parser.st_for,
    'NEXT': Parser.st_next, 'EXIT': Parser.st_exit, 'CONTINUE': Parser.st_exit,
    'BEGIN': Parser.st_begin, 'CASE': Parser.st_case, 'CALL': Parser.st_call,
    'GOSUB': Parser.st_jump, 'GOTO': Parser.st_jump, 'GO': Parser.st_jump, 'ON': Parser.st_on,
    'RETURN': Parser.st_return, 'SUBROUTINE': Parser.st_header, 'PROGRAM': Parser.st_header,
    'FUNCTION': Parser.st_header, 'EQU': Parser.st_equ, 'EQUATE': Parser.st_equ,
    '$INCLUDE': Parser.st_include, '$INSERT': Parser.st_include,
    'INCLUDE': Parser.st_include, '#INCLUDE': Parser.st_include,
    'DIM': Parser.st_dim, 'DIMENSION': Parser.st_dim, 'COMMON': Parser.st_common,
    'DEFFUN': Parser.st_deffun, 'DEFC': Parser.st_defc, 'DEFCE': Parser.st_defc,
    'CFUNCTION': Parser.st_cfunction, 'CALLC': Parser.st_callc, 'LET': Parser.st_let, 'MAT': Parser.st_mat,
}

KW_UNION = set()
SUBROUTINE_NAMES = set()


# ---------------------------------------------------------------- the whole check
def platform_of(path, root):
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    for k in range(len(parts) - 2):
        if parts[k] == 'platform':
            return parts[k + 1]
    return None


def is_basic_item(path):
    name = os.path.basename(path)
    if name.startswith('.') or name in ('CMakeLists.txt', 'Makefile', 'README', 'LICENSE'):
        return False
    ext = name.rsplit('.', 1)[1] if '.' in name else ''
    if ext in NOT_BASIC_EXT:                         # lower-case extensions only: SMTP.H stays
        return False
    try:
        with open(path, 'rb') as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'\0' not in head


def walk_items(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
        for f in sorted(files):
            p = os.path.join(d, f)
            if is_basic_item(p):
                out.append(p)
    return out


def display(path):
    a = os.path.abspath(path)
    cwd = os.getcwd()
    if a.startswith(cwd + os.sep):
        return os.path.relpath(a, cwd)
    if a.startswith(REPO + os.sep):
        return os.path.relpath(a, REPO)
    return path


class Checker:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.problems = []                          # (path, line, msg)
        self.kw = load_keywords()
        KW_UNION.clear()
        for s in self.kw.values():
            KW_UNION.update(s)
        self.allow = {d: set() for d in DIALECTS + ['QM']}
        for word, plats, _ in read_list(os.path.join(HERE, 'portability_allow.txt'), self.problems):
            for p in plats:
                for d in (DIALECTS if p == 'all' else [PLATFORM_DIALECT.get(p.lower(), p)]):
                    if d in self.allow:
                        self.allow[d].add(word.upper())
                    else:
                        self.problems.append((os.path.join(HERE, 'portability_allow.txt'), 0,
                                              'unknown dialect %r' % p))
        self.external = {}                          # name -> set of platforms
        for name, plats, _ in read_list(os.path.join(HERE, 'external_names.txt'), self.problems):
            self.external.setdefault(name, set()).update(
                PLATFORM_DIALECT.keys() if plats == ['all'] else [p.lower() for p in plats])
        self.items = {}                             # abspath -> Item
        self.subs = {}                              # item name -> [Item]

    def parse(self, path):
        a = os.path.abspath(path)
        if a in self.items:
            return self.items[a]
        it = Item(a, display(a), platform_of(a, self.root))
        probs = []
        lines = logical_lines(a, probs)
        for _, line, msg in probs:
            it.problems.append((line, msg))
        Parser(it, lines, self.external).run()
        self.items[a] = it
        return it

    def index(self, paths):
        """Find every SUBROUTINE item first: CALL targets and names to skip as equates."""
        for p in paths:
            it = self.parse_header_only(p)
            if it is not None:
                self.subs.setdefault(os.path.basename(p), []).append(it)
        SUBROUTINE_NAMES.clear()
        SUBROUTINE_NAMES.update(self.subs)

    def parse_header_only(self, path):
        probs = []
        for _, _, label, toks in logical_lines(path, probs):
            if not toks:
                continue
            if toks[0].kind == 'id' and toks[0].up in ('SUBROUTINE', 'FUNCTION'):
                return (os.path.abspath(path), platform_of(path, self.root))
            return None
        return None

    def check(self, paths):
        paths = [os.path.abspath(p) for p in paths]
        universe = set(walk_items(self.root)) if os.path.isdir(self.root) else set()
        for p in paths:
            universe.add(p)
            d = os.path.dirname(p)
            if os.path.isdir(d) and d != self.root:
                universe.update(walk_items(d))
        self.index(sorted(universe))
        subs = {}
        for name, heads in self.subs.items():
            subs[name] = [self.parse(a) for a, _ in heads]
        self.subs = subs
        # the call graph: who calls each item name (for the platforms a common item runs on)
        self.callers = {}
        for p in sorted(universe):
            it = self.parse(p)
            for name, _, _ in it.calls:
                self.callers.setdefault(name, []).append(it)
        self.reach_memo = {}
        self.check_collisions(paths)
        for p in paths:
            it = self.parse(p)
            self.check_item(it)
            for line, msg in it.problems:
                self.problems.append((it.path, line, msg))
        return self.problems

    def reach(self, it, busy=None):
        """The platforms an item is compiled and run for: its own platform folder; for a
        common SUBROUTINE called only from platform folders, those platforms; else all four."""
        if it.platform is not None:
            return {it.platform}
        if it.kind != 'subroutine':
            return set(PLATFORMS)
        if it.path in self.reach_memo:
            return self.reach_memo[it.path]
        busy = busy or set()
        if it.path in busy:
            return set()
        busy.add(it.path)
        callers = [c for c in self.callers.get(it.name, []) if c.path != it.path]
        out = set()
        for c in callers:
            out |= self.reach(c, busy)
        if not callers or not out:
            out = set(PLATFORMS)
        self.reach_memo[it.path] = out
        return out

    def check_collisions(self, paths):
        wanted = set(paths)
        for name, items in self.subs.items():
            for x in range(len(items)):
                for y in range(x + 1, len(items)):
                    a, b = items[x], items[y]
                    if a.platform and b.platform and a.platform != b.platform:
                        continue                    # different installs
                    if a.path in wanted:
                        a.problems.append((a.header_line, 'SUBROUTINE %s is also defined in %s: '
                                           'both would be catalogued under one name'
                                           % (name, b.rel)))

    # -- per item
    def check_item(self, it):
        self.check_includes(it)
        self.check_calls(it)
        self.check_externals(it)
        self.check_keywords(it)

    def include_dirs(self, item, plat):
        dirs = [os.path.dirname(item.path), self.root]
        if plat is not None:
            dirs.append(os.path.join(self.root, 'platform', plat))
        return dirs

    def collect_defs(self, it, plat, defs, top_line, seen, missing, problems):
        """Merge it's EQUs and, in source order, those of the items it includes (searched in
        its folder, the root, and the platform folder of this variant) into defs."""
        incs = list(it.include_positions)
        order = it.equ_order
        for k in range(len(order) + 1):
            while incs and incs[0][0] == k:
                _, name, line = incs.pop(0)
                where = top_line or line
                dirs = self.include_dirs(it, plat)
                p = next((os.path.join(d, name) for d in dirs
                          if os.path.isfile(os.path.join(d, name))), None)
                if p is None:
                    missing.setdefault((where, name), set()).add(plat)
                    continue
                p = os.path.abspath(p)
                if p in seen:
                    problems.add((where, '$INCLUDE %s: included twice (or in a cycle)' % name))
                    continue
                seen.add(p)
                self.collect_defs(self.parse(p), plat, defs, where, seen, missing, problems)
            if k < len(order):
                name, line = order[k]
                prev = defs.get(name)
                if prev is None:
                    defs[name] = (it.path, line)
                elif prev[0] != it.path:          # repeats inside one item: the parser says so
                    problems.add((top_line or line, 'EQU %s is defined twice: %s:%d and %s:%d'
                                  % (name, display(prev[0]), prev[1], display(it.path), line)))

    def check_includes(self, it):
        plats = sorted(self.reach(it))
        variants = {}
        missing = {}
        problems = set()
        labels = set()
        for plat in plats:
            defs = {}
            seen = {it.path}
            self.collect_defs(it, plat, defs, 0, seen, missing, problems)
            variants[plat] = defs
            for p in seen:                          # labels may come from included code too
                labels.update(self.parse(p).labels)
        for label, line, how in it.jumps:
            if label not in labels:
                problems.add((line, '%s %s: no such label in this item' % (how, label)))
        for (line, name), where in sorted(missing.items()):
            dirs = ', '.join(display(d) for d in self.include_dirs(it, None))
            if len(where) == len(plats):
                problems.add((line, '$INCLUDE %s: no such item in %s%s' % (
                    name, dirs, '' if it.platform else ' or basic/platform/<platform>')))
            else:
                problems.add((line, '$INCLUDE %s: no such item for platform %s'
                              % (name, ', '.join(sorted(where)))))
        it.problems.extend(sorted(problems))
        seen = set()
        for name, line, assigned in it.uses:
            if (name, line) in seen:
                continue
            seen.add((name, line))
            lacking = [p for p in plats if name not in variants[p]]
            if not lacking:
                if assigned:
                    it.problems.append((line, 'assignment to %s, which is an EQUATE (a constant)'
                                        % name))
            elif len(lacking) == len(plats):
                it.problems.append((line, 'undefined EQUATE %s (not EQUated here nor in an '
                                    'included item)' % name))
            else:
                it.problems.append((line, 'undefined EQUATE %s for platform %s (its included '
                                    'items lack it)' % (name, ', '.join(lacking))))

    def check_calls(self, it):
        for name, nargs, line in it.calls:
            cands = self.subs.get(name, [])
            if it.platform is None:
                usable = [c for c in cands if c.platform is None]
                if not usable and cands:
                    have = {c.platform for c in cands}
                    need = self.reach(it)
                    lacking = sorted(need - have)
                    if lacking:
                        it.problems.append((line, 'CALL %s: defined only in basic/platform/%s; '
                                            'missing for %s' % (name, ', '.join(sorted(have)),
                                                                ', '.join(lacking))))
                    usable = [c for c in cands if c.platform in need]
            else:
                usable = [c for c in cands if c.platform in (None, it.platform)]
            if not usable:
                if it.platform is not None and it.platform in self.external.get(name, ()):
                    continue
                if it.platform is None and name in self.external:
                    it.problems.append((line, 'CALL %s: a C function, called from common code; '
                                        'only basic/platform/* may call C' % name))
                elif not cands:
                    it.problems.append((line, 'CALL %s: no SUBROUTINE item %s in %s and not in '
                                        'tests/basic/external_names.txt'
                                        % (name, name, display(self.root))))
                elif it.platform is not None:
                    it.problems.append((line, 'CALL %s: no SUBROUTINE %s in basic/ or '
                                        'basic/platform/%s' % (name, name, it.platform)))
                continue
            counts = {c.params for c in usable if c.params is not None}
            if counts and nargs not in counts:
                c = usable[0]
                it.problems.append((line, 'CALL %s with %d argument%s, but SUBROUTINE %s (%s:%d) '
                                    'takes %s' % (name, nargs, '' if nargs == 1 else 's', name,
                                                  c.rel, c.header_line,
                                                  ' or '.join(str(x) for x in sorted(counts)))))

    def check_externals(self, it):
        for name, line, how in it.externals:
            plats = self.external.get(name)
            if it.platform is None:
                it.problems.append((line, 'C function %s (%s) called from common code; only '
                                    'basic/platform/* may call C' % (name, how)))
            elif not plats or it.platform not in plats:
                it.problems.append((line, 'C function %s (%s) is not listed for %s in '
                                    'tests/basic/external_names.txt' % (name, how, it.platform)))
            if how == '%' and it.platform == 'd3' and not it.cfunction:
                it.problems.append((line, '%%%s is a user built-in, which D3 BASIC declares '
                                    'with "CFUNCTION user.builtin" (docs/platforms.md 3.4, step '
                                    '4); this item has no CFUNCTION statement' % name))

    def check_keywords(self, it):
        if it.platform is None:
            required = DIALECTS
        else:
            d = PLATFORM_DIALECT.get(it.platform)
            if d is None:
                it.problems.append((1, 'unknown platform folder %r (expected one of %s)'
                                    % (it.platform, ', '.join(sorted(PLATFORM_DIALECT)))))
                return
            required = [d]
        # only the UniVerse and jBASE lists document @-variables: check those against them
        at_required = [d for d in required if any(w.startswith('@') for w in self.kw[d])]
        allowed_any = set().union(*self.allow.values())
        done = set()
        for word, line, how in it.keywords:
            if (word, line) in done:
                continue
            done.add((word, line))
            if word.startswith('@'):
                need = at_required
            else:
                need = required
                if word not in KW_UNION and word not in allowed_any:
                    if how == 'statement':
                        it.problems.append((line, 'unknown statement %s (in no keyword list)'
                                            % word))
                    continue
            missing = [d for d in need if word not in self.kw[d] and word not in self.allow[d]]
            if missing:
                names = ', '.join('D3' if m == 'd3' else m for m in missing)
                if it.platform is None:
                    it.problems.append((line, 'non-portable %s %s: not in the %s keyword list%s'
                                        % (how, word, names, 's' if len(missing) > 1 else '')))
                else:
                    it.problems.append((line, '%s %s is not in the %s keyword list'
                                        % (how, word, names)))


# ---------------------------------------------------------------- command line
def expect_failure(files, root):
    """Each file must make the checker exit 1 and print its 'EXPECT: fragment'."""
    failed = 0
    for f in files:
        expect, count = None, None
        with open(f, encoding='utf-8', errors='replace') as fh:
            for line in fh.readlines()[:10]:
                m = re.search(r'EXPECT:\s*(.+?)\s*$', line)
                if m and expect is None:
                    expect = m.group(1)
                m = re.search(r'PROBLEMS:\s*(\d+)', line)
                if m:
                    count = int(m.group(1))
        if expect is None:
            print('%s: no "EXPECT: fragment" line at the top' % f)
            failed += 1
            continue
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--root', root, f],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        lines = [l for l in r.stdout.splitlines() if not l.startswith('check_basic:')]
        ok = r.returncode == 1 and any(expect in l for l in lines)
        if ok and len(lines) != (count or 1):
            ok = False
            why = 'expected %d problem(s), got %d' % (count or 1, len(lines))
        else:
            why = 'exit %d, fragment %r %s' % (r.returncode, expect,
                                               'found' if any(expect in l for l in lines)
                                               else 'NOT found')
        print('%s %s: %s' % ('ok  ' if ok else 'FAIL', f, why))
        if not ok:
            failed += 1
            sys.stdout.write(''.join('    ' + l + '\n' for l in r.stdout.splitlines()))
    print('check_basic: %d broken sample(s), %d not caught' % (len(files), failed))
    return 1 if failed else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--root', default=os.path.join(REPO, 'basic'),
                    help='the basic/ tree: CALL targets and $INCLUDE items (default: %(default)s)')
    ap.add_argument('--expect-failure', action='store_true',
                    help='each FILE must fail, printing the fragment of its "EXPECT:" line')
    ap.add_argument('files', nargs='*', help='items to check (default: every item under --root)')
    a = ap.parse_args(argv)
    if a.expect_failure:
        if not a.files:
            ap.error('--expect-failure needs files')
        return expect_failure(a.files, a.root)
    files = a.files
    if not files:
        if not os.path.isdir(a.root):
            ap.error('no such directory: %s' % a.root)
        files = walk_items(a.root)
    for f in files:
        if not os.path.isfile(f):
            ap.error('no such file: %s' % f)
    ck = Checker(a.root)
    problems = ck.check(files)
    problems = sorted(set((display(p), l, m) for p, l, m in problems))
    for p, l, m in problems:
        print('%s:%d: %s' % (p, l, m))
    print('check_basic: %d item(s), %d problem(s)' % (len(files), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
