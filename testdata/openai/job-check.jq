# The request body of POST /v1/fine_tuning/jobs for a reinforcement job, as
# OpenAI documents it (API reference, "Create fine-tuning job": model,
# training_file, validation_file, suffix, seed, metadata, integrations,
# method {type: "reinforcement", reinforcement {grader, response_format,
# hyperparameters}}).  Prints one line per problem; nothing when the body
# has the documented shape.  Usage: jq -r -f job-check.jq job.json
def auto_or($t): . == "auto" or (type == "number" and . > 0 and ($t != "integer" or . == floor));
def where($p): "job" + $p;
. as $job
| [
    (if type != "object" then "the body is \(type), not an object" else empty end),
    ((keys - ["model", "training_file", "validation_file", "suffix", "seed", "metadata",
              "integrations", "method"])[] | "unknown key '\(.)' (the API refuses it)"),
    (if (.model | type) != "string" or (.model | length) == 0 then "model must be a non-empty string" else empty end),
    (if (.training_file | type) != "string" or (.training_file | test("^file-") | not)
     then "training_file must be an uploaded file id (file-...)" else empty end),
    (if has("validation_file") and ((.validation_file | type) != "string" or (.validation_file | test("^file-") | not))
     then "validation_file must be an uploaded file id (file-...)" else empty end),
    (if has("suffix") and ((.suffix | type) != "string" or (.suffix | length) > 64)
     then "suffix must be a string of at most 64 characters" else empty end),
    (if has("seed") and ((.seed | type) != "number" or .seed != (.seed | floor))
     then "seed must be a whole number" else empty end),
    (if has("metadata") then
       if (.metadata | type) != "object" then "metadata must be an object"
       elif (.metadata | length) > 16 then "metadata has more than 16 keys"
       else (.metadata | to_entries[]
             | if (.key | length) > 64 then "metadata key '\(.key)' is longer than 64 characters"
               elif (.value | type) != "string" then "metadata value of '\(.key)' must be a string"
               elif (.value | length) > 512 then "metadata value of '\(.key)' is longer than 512 characters"
               else empty end) end
     else empty end),
    (.method as $m
     | if ($m | type) != "object" then "method must be an object"
       elif $m.type != "reinforcement" then "method.type must be \"reinforcement\""
       elif ($m | keys - ["type", "reinforcement"] | length) > 0 then "method has keys other than type and reinforcement"
       else ($m.reinforcement as $r
         | if ($r | type) != "object" then "method.reinforcement must be an object"
           else
             (($r | keys - ["grader", "response_format", "hyperparameters"])[]
               | "method.reinforcement has an unknown key '\(.)'"),
             (if ($r.grader | type) != "object" or ($r.grader.type | type) != "string"
              then "method.reinforcement.grader must be a grader object with a type" else empty end),
             (if ($r.grader.type // "") | IN("string_check", "text_similarity", "python", "score_model", "multi") | not
              then "method.reinforcement.grader.type '\($r.grader.type)' is not a grader OpenAI runs" else empty end),
             (if $r | has("response_format") then
                if $r.response_format.type != "json_schema" or ($r.response_format.json_schema.schema | type) != "object"
                then "method.reinforcement.response_format must be a json_schema response format" else empty end
              else empty end),
             ($r.hyperparameters // {} | . as $h
               | ((keys - ["batch_size", "compute_multiplier", "eval_interval", "eval_samples",
                           "learning_rate_multiplier", "n_epochs", "reasoning_effort"])[]
                    | "method.reinforcement.hyperparameters has an unknown key '\(.)'"),
                 (["batch_size", "eval_interval", "eval_samples", "n_epochs"][] as $k
                    | select($h | has($k)) | select($h[$k] | auto_or("integer") | not)
                    | "hyperparameters.\($k) must be \"auto\" or a whole number above 0, not \($h[$k] | tojson)"),
                 (["compute_multiplier", "learning_rate_multiplier"][] as $k
                    | select($h | has($k)) | select($h[$k] | auto_or("number") | not)
                    | "hyperparameters.\($k) must be \"auto\" or a number above 0, not \($h[$k] | tojson)"),
                 (if $h | has("reasoning_effort") then
                    if $h.reasoning_effort | IN("default", "low", "medium", "high") then empty
                    else "hyperparameters.reasoning_effort must be default, low, medium or high, not \($h.reasoning_effort | tojson)" end
                  else empty end))
           end)
       end)
  ]
| .[]
