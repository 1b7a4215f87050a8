# fluxbot: Hinweise, die mit einem Auftrag als Schlüssel und Argumente gespeichert sind, Deutsch. Schlüssel und Regeln: en-US/notes.ftl.

## Warum ein Auftrag ohne Bild endete
failure-reason-moderated = Der Sicherheitsfilter des Anbieters hat den Prompt, ein Eingabebild oder das erzeugte Bild abgelehnt.
failure-reason-provider_failed = Der Anbieter konnte das Bild nicht erstellen; seine Antwort: „{ $said }“.
failure-reason-provider_failed_silent = Der Anbieter konnte das Bild nicht erstellen und hat keinen Grund genannt.
failure-reason-input = Der Anbieter hat die Optionen oder den Prompt dieser Anfrage abgelehnt.
failure-reason-input_said = Der Anbieter hat die Anfrage abgelehnt: „{ $said }“.
failure-reason-retired = { $provider } bietet dieses Modell nicht mehr an.
failure-reason-cancelled = Der Auftrag wurde abgebrochen, bevor der Anbieter etwas erstellt hat.
failure-reason-undeliverable = Der Bot konnte das Bild weder hier posten noch dir schicken.
failure-reason-image_lost = Das fertige Bild ging verloren, bevor es gepostet werden konnte.

## Expand: was zuerst mit der Vorlage geschah
tools-scaled-down = Das Bild wurde zuerst von { $before } auf { $after } verkleinert: In voller Größe erweitert, hätte es die Grenze von Expand, { $limit } ({ $megapixels } MP), überschritten.
