/// The files the dashboard serves besides its pages: the script that keeps a page live, and
/// the API's OpenAPI document.
enum DashboardAssets {
    /// The page script. Without it a page is complete as served; with it:
    /// - the page follows its event stream and replaces its header and main content with a
    ///   fresh copy when the journal changes (open details and the table's order kept);
    /// - the trials table sorts by a column and filters by text.
    /// No inline handler, no `eval`, nothing from another origin.
    static let script = #"""
        (function () {
          'use strict';
          var body = document.body;
          var events = body.getAttribute('data-events');
          var live = document.getElementById('live');
          var sortState = null;
          var filterText = '';

          function say(text, trouble) {
            if (!live) { return; }
            live.textContent = text;
            live.className = trouble ? 'live trouble' : 'live';
          }

          function cellText(row, index) {
            var cell = row.children[index];
            return cell ? cell.textContent.trim() : '';
          }

          function compare(a, b) {
            var x = parseFloat(a), y = parseFloat(b);
            var xn = !isNaN(x) && isFinite(x) && /^-?[0-9.]/.test(a);
            var yn = !isNaN(y) && isFinite(y) && /^-?[0-9.]/.test(b);
            if (xn && yn) { return x - y; }
            if (xn) { return -1; }
            if (yn) { return 1; }
            return a < b ? -1 : (a > b ? 1 : 0);
          }

          function applyTable() {
            var table = document.querySelector('#trials table');
            if (!table) { return; }
            var tbody = table.tBodies[0];
            if (!tbody) { return; }
            var rows = Array.prototype.slice.call(tbody.rows);
            if (sortState) {
              rows.sort(function (r, s) {
                var order = compare(cellText(r, sortState.index), cellText(s, sortState.index));
                return sortState.descending ? -order : order;
              });
              rows.forEach(function (row) { tbody.appendChild(row); });
            }
            var needle = filterText.toLowerCase();
            var shown = 0;
            rows.forEach(function (row) {
              var match = !needle || row.textContent.toLowerCase().indexOf(needle) >= 0;
              row.hidden = !match;
              if (match) { shown += 1; }
            });
            var count = document.getElementById('trials-shown');
            if (count) { count.textContent = shown + ' of ' + rows.length + ' rows shown'; }
            var heads = table.tHead ? table.tHead.rows[0].cells : [];
            for (var i = 0; i < heads.length; i += 1) {
              var sorted = sortState && sortState.index === i;
              heads[i].setAttribute('aria-sort', sorted ? (sortState.descending ? 'descending' : 'ascending') : 'none');
            }
          }

          // The filter outlives the refreshes: it is moved into each new copy of the table's
          // section, with its text, focus and selection kept.
          var filterLabel = null;

          function makeFilter() {
            var label = document.createElement('label');
            label.className = 'filter';
            label.textContent = 'Filter trials ';
            var input = document.createElement('input');
            input.type = 'search';
            input.id = 'trials-filter';
            input.addEventListener('input', function () { filterText = input.value; applyTable(); });
            label.appendChild(input);
            var count = document.createElement('span');
            count.id = 'trials-shown';
            count.className = 'shown';
            label.appendChild(count);
            return label;
          }

          function enhanceTable() {
            var section = document.getElementById('trials');
            var table = section && section.querySelector('table');
            if (!table || table.getAttribute('data-enhanced')) { return; }
            table.setAttribute('data-enhanced', 'yes');
            if (!filterLabel) { filterLabel = makeFilter(); }
            section.insertBefore(filterLabel, section.querySelector('.scroll'));
            var heads = table.tHead ? table.tHead.rows[0].cells : [];
            Array.prototype.forEach.call(heads, function (head, index) {
              var button = document.createElement('button');
              button.type = 'button';
              button.className = 'sort';
              button.textContent = head.textContent;
              button.addEventListener('click', function () {
                var descending = sortState && sortState.index === index ? !sortState.descending : false;
                sortState = { index: index, descending: descending };
                applyTable();
              });
              head.textContent = '';
              head.appendChild(button);
            });
            applyTable();
          }

          function openDetails(root) {
            var open = [];
            root.querySelectorAll('details').forEach(function (d, i) { if (d.open) { open.push(i); } });
            return open;
          }

          var busy = false, again = false, count = 0;

          function refresh() {
            if (busy) { again = true; return; }
            busy = true;
            fetch(location.pathname + location.search, { headers: { 'Accept': 'text/html' }, cache: 'no-store' })
              .then(function (response) { return response.text(); })
              .then(function (text) {
                var next = new DOMParser().parseFromString(text, 'text/html');
                var main = document.querySelector('main'), nextMain = next.querySelector('main');
                var input = filterLabel && filterLabel.querySelector('input');
                var focused = input && document.activeElement === input;
                var start = focused ? input.selectionStart : null, end = focused ? input.selectionEnd : null;
                if (main && nextMain) {
                  var open = openDetails(main);
                  var picked = {};
                  main.querySelectorAll('input[type=checkbox]').forEach(function (box) {
                    picked[box.name + '=' + box.value] = box.checked;
                  });
                  nextMain.querySelectorAll('input[type=checkbox]').forEach(function (box) {
                    var key = box.name + '=' + box.value;
                    if (key in picked) { box.checked = picked[key]; }
                  });
                  main.replaceWith(document.adoptNode(nextMain));
                  var details = document.querySelectorAll('main details');
                  open.forEach(function (i) { if (details[i]) { details[i].open = true; } });
                }
                ['.cards', '.stop', 'h1'].forEach(function (selector) {
                  var mine = document.querySelector('header ' + selector);
                  var theirs = next.querySelector('header ' + selector);
                  if (mine && theirs) { mine.replaceWith(document.adoptNode(theirs)); }
                });
                var at = next.body && next.body.getAttribute('data-journal-time');
                var shown = parseFloat(body.getAttribute('data-journal-time') || '0');
                if (at && parseFloat(at) > shown) { body.setAttribute('data-journal-time', at); }
                enhanceTable();
                if (focused) {
                  input.focus();
                  input.setSelectionRange(start, end);
                }
                count += 1;
                body.setAttribute('data-updates', String(count));
                say('Live: updated ' + new Date().toLocaleTimeString(), false);
              })
              .catch(function (error) { say('Live: the update failed (' + error + '); retrying', true); })
              .then(function () {
                busy = false;
                if (again) { again = false; refresh(); }
              });
          }

          enhanceTable();
          if (!events || !window.EventSource) { return; }
          var first = true;
          var source = new EventSource(events);
          source.addEventListener('open', function () { say('Live: following the journal', false); });
          var liveCount = 0;

          // The event carries the newest attempts: shown at once, before the page is read again.
          function showLatest(data) {
            var list = document.getElementById('latest');
            if (!list || !data || !data.attempts) { return; }
            while (list.firstChild) { list.removeChild(list.firstChild); }
            data.attempts.forEach(function (a) {
              var item = document.createElement('li');
              item.textContent = 'Trial ' + a.trial + ', attempt ' + a.number + ': ' + a.outcome
                + (a.errorType ? ' \u2014 ' + a.errorType : '') + (a.message ? ': ' + a.message : '');
              list.appendChild(item);
            });
            if (data.at) { body.setAttribute('data-journal-time', String(data.at)); }
            liveCount += 1;
            body.setAttribute('data-live-updates', String(liveCount));
          }

          source.addEventListener('change', function (event) {
            if (first) { first = false; say('Live: following the journal', false); return; }
            var data = null;
            try { data = JSON.parse(event.data); } catch (error) { data = null; }
            showLatest(data);
            refresh();
          });
          source.addEventListener('trouble', function (event) {
            first = false;
            say('The journal cannot be read now: ' + event.data, true);
          });
          source.addEventListener('error', function () { say('Live: reconnecting', true); });
        })();
        """#

    /// The API's description (OpenAPI 3.1).
    static let openAPI = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "SwiftTuner dashboard API",
            "version": "1",
            "description": "Read-only: the studies tuner serve serves, each addressed by its key from /api/studies."
          },
          "paths": {
            "/api/studies": {
              "get": {
                "summary": "Every study served, with its overview.",
                "responses": {
                  "200": {
                    "description": "The studies.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/ListedStudy"
                          }
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/studies/{key}": {
              "get": {
                "summary": "One study's overview.",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/key"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The study.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ListedStudy"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/api/studies/{key}/trials": {
              "get": {
                "summary": "Every trial with its attempts and metrics (as tuner export --format json).",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/key"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The export.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object",
                          "required": [
                            "study",
                            "sessions",
                            "trials"
                          ],
                          "properties": {
                            "study": {
                              "type": "object"
                            },
                            "sessions": {
                              "type": "array",
                              "items": {
                                "type": "object"
                              }
                            },
                            "trials": {
                              "type": "array",
                              "items": {
                                "type": "object"
                              }
                            }
                          }
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "500": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/api/studies/{key}/trials/{number}": {
              "get": {
                "summary": "One trial: every attempt with its trace, and every metric of every epoch.",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/key"
                  },
                  {
                    "name": "number",
                    "in": "path",
                    "required": true,
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The trial.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Trial"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "500": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            }
          },
          "components": {
            "parameters": {
              "key": {
                "name": "key",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string",
                  "pattern": "^[A-Za-z0-9._~-]+$"
                }
              }
            },
            "responses": {
              "Error": {
                "description": "What went wrong.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "error": {
                          "type": "object",
                          "properties": {
                            "message": {
                              "type": "string"
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            },
            "schemas": {
              "Number": {
                "oneOf": [
                  {
                    "type": "number"
                  },
                  {
                    "type": "string",
                    "enum": [
                      "nan",
                      "inf",
                      "-inf"
                    ]
                  }
                ]
              },
              "ListedStudy": {
                "type": "object",
                "required": [
                  "key",
                  "folder"
                ],
                "properties": {
                  "key": {
                    "type": "string"
                  },
                  "folder": {
                    "type": "string"
                  },
                  "error": {
                    "type": "string",
                    "description": "Why the journal cannot be read; the overview is then absent."
                  },
                  "overview": {
                    "$ref": "#/components/schemas/Overview"
                  }
                }
              },
              "Overview": {
                "type": "object",
                "required": [
                  "name",
                  "tuner",
                  "objective",
                  "direction",
                  "status",
                  "trials",
                  "trialsByStatus",
                  "consecutiveFailedTrials",
                  "sessions",
                  "liveWorkers",
                  "totalSeconds"
                ],
                "properties": {
                  "name": {
                    "type": "string"
                  },
                  "tuner": {
                    "type": "string"
                  },
                  "objective": {
                    "type": "string"
                  },
                  "direction": {
                    "type": "string",
                    "enum": [
                      "min",
                      "max"
                    ]
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "not started",
                      "running",
                      "completed",
                      "stopped"
                    ]
                  },
                  "stopReason": {
                    "type": "string"
                  },
                  "stopMessage": {
                    "type": "string"
                  },
                  "writerAlive": {
                    "type": "boolean"
                  },
                  "trials": {
                    "type": "integer"
                  },
                  "trialsByStatus": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "integer"
                    }
                  },
                  "consecutiveFailedTrials": {
                    "type": "integer"
                  },
                  "maxConsecutiveFailedTrials": {
                    "type": "integer"
                  },
                  "maxTrials": {
                    "type": "integer"
                  },
                  "best": {
                    "type": "object",
                    "required": [
                      "number",
                      "id",
                      "score"
                    ],
                    "properties": {
                      "number": {
                        "type": "integer"
                      },
                      "id": {
                        "type": "string"
                      },
                      "score": {
                        "$ref": "#/components/schemas/Number"
                      }
                    }
                  },
                  "sessions": {
                    "type": "integer"
                  },
                  "liveWorkers": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "lastActivity": {
                    "type": "number"
                  },
                  "totalSeconds": {
                    "type": "number"
                  }
                }
              },
              "Trial": {
                "type": "object",
                "required": [
                  "number",
                  "id",
                  "status",
                  "seed",
                  "hyperparameters",
                  "startedAt",
                  "attempts"
                ],
                "properties": {
                  "number": {
                    "type": "integer"
                  },
                  "id": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string"
                  },
                  "score": {
                    "$ref": "#/components/schemas/Number"
                  },
                  "bestEpoch": {
                    "type": "integer"
                  },
                  "seed": {
                    "type": "string"
                  },
                  "hyperparameters": {
                    "type": "object",
                    "additionalProperties": {
                      "type": [
                        "number",
                        "string",
                        "boolean"
                      ]
                    }
                  },
                  "errorType": {
                    "type": "string"
                  },
                  "message": {
                    "type": "string"
                  },
                  "startedAt": {
                    "type": "number"
                  },
                  "endedAt": {
                    "type": "number"
                  },
                  "attempts": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Attempt"
                    }
                  }
                }
              },
              "Attempt": {
                "type": "object",
                "required": [
                  "number",
                  "outcome",
                  "counted",
                  "graceful",
                  "session",
                  "startedAt",
                  "epochs"
                ],
                "properties": {
                  "number": {
                    "type": "integer"
                  },
                  "outcome": {
                    "type": "string"
                  },
                  "counted": {
                    "type": "boolean"
                  },
                  "graceful": {
                    "type": "boolean"
                  },
                  "session": {
                    "type": "integer"
                  },
                  "errorType": {
                    "type": "string"
                  },
                  "message": {
                    "type": "string"
                  },
                  "trace": {
                    "type": "string"
                  },
                  "startedAt": {
                    "type": "number"
                  },
                  "endedAt": {
                    "type": "number"
                  },
                  "durationSeconds": {
                    "type": "number"
                  },
                  "score": {
                    "$ref": "#/components/schemas/Number"
                  },
                  "epochs": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "epoch",
                        "name"
                      ],
                      "properties": {
                        "epoch": {
                          "type": "integer"
                        },
                        "name": {
                          "type": "string"
                        },
                        "value": {
                          "$ref": "#/components/schemas/Number"
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
        """#
}
