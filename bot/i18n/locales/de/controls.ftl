# fluxbot: Antworten der Betreiber-Befehle (issue 19), Deutsch. Schlüssel und Regeln: en-US/controls.ftl.

## /admin rules
rules-bad = Die Regel „{ $rule }“ kann nicht verwendet werden: { $problem } Eine Regel besteht aus Wörtern, einer Wortgruppe oder Wörtern mit `*`-Platzhaltern.
rule-problem-too-long = Sie ist länger als { $count } Zeichen.
rule-problem-no-word = Sie braucht einen Buchstaben oder eine Ziffer (nur Platzhalter würden alles ablehnen).
rule-problem-too-many-words = Sie hat mehr als { $count } Wörter.
rules-too-many = Dieser Server hat { $count ->
        [one] { $count } Regel
       *[other] { $count } Regeln
    }, mehr sind nicht möglich; entferne zuerst eine.
rules-added = Regel `{ $rule }` hinzugefügt: Prompts sowie Remix- und Edit-Anweisungen, die darauf passen, werden abgelehnt.
rules-exists = Die Regel `{ $rule }` gibt es schon.
rules-removed = Regel `{ $rule }` entfernt.
rules-unknown = Auf diesem Server gibt es keine Regel `{ $rule }` (siehe `/admin rules list`).
rules-none = Dieser Server hat keine Prompt-Regeln. Füge eine mit `/admin rules add` hinzu.
rules-title = Prompt-Regeln dieses Servers

## /admin settings nsfw_safety_tolerance:
settings-nsfw-invalid = `nsfw_safety_tolerance` ist eine Stufe von 0 bis { $cap } oder `clear` (altersbeschränkte Kanäle haben dann dieselbe Grenze wie die übrigen).

## /owner blocks
owner-blocks-title = Gesperrte Mitglieder und Server: { $count }
owner-blocks-none = Kein Mitglied und kein Server ist gesperrt.
owner-blocks-line = { $kind ->
        [member] Mitglied
       *[guild] Server
    } { $target } · „{ $reason }“ · von { $by }, { $when }
owner-blocks-line-no-reason = { $kind ->
        [member] Mitglied
       *[guild] Server
    } { $target } · ohne Angabe eines Grundes · von { $by }, { $when }
owner-blocks-more = … und { $count } ältere, nicht aufgeführt.
owner-blocks-page = Seite { $page }

## /admin privacy erase: die Zeile im Audit-Kanal
