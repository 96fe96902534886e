// A parsed chat template: statements (text, output, if, for, set, macro, loop controls) over
// expressions. Built by parse() (parser.cpp), run by template.cpp.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/jinja/value.h"

namespace longalign::host::jinja {

struct Expr {
  enum class Kind {
    Literal, Name, List, Tuple, Dict,  // Dict: children are key, value, key, value, ...
    Member,                            // children[0].name
    Index,                             // children[0][children[1]]
    Slice,                             // children[0][children[1]:children[2]:children[3]], each may be null
    Call, Filter, Test,                // children[0] is the callee or operand, then the arguments
    Not, Negate, Plus, Binary,         // Binary: name is the operator ("+", "==", "in", "not in", "~", ...)
    And, Or, Conditional               // Conditional: children[1] if children[0] else children[2] (may be null)
  };
  Kind kind;
  int line = 0;
  Value literal;
  std::string name;                          // a variable, attribute, filter, test or operator
  std::vector<std::unique_ptr<Expr>> children;
  std::vector<std::string> keywords;         // Call/Filter/Test: one per argument, "" for a positional one
  bool negated = false;                      // Test: `is not`
};
using ExprPtr = std::unique_ptr<Expr>;

struct Node {
  enum class Kind { Text, Output, If, For, Set, SetBlock, Macro, Break, Continue, Block };
  Kind kind = Kind::Text;
  int line = 0;
  std::string text;                  // Text
  ExprPtr expr;                      // Output's value, For's iterable, Set's value
  ExprPtr condition;                 // For's `if` filter
  std::vector<std::string> targets;  // For's and Set's names; Macro's name and then its parameters
  std::string attribute;             // Set of `targets[0].attribute` (a namespace's)
  std::vector<ExprPtr> defaults;     // Macro: one per parameter, null where it has none
  std::vector<ExprPtr> conditions;   // If: one per branch, null for `else`
  std::vector<std::vector<Node>> bodies;  // If: one per branch; For: body, else; Macro, SetBlock, Block: body
};

// Throws Error naming the line for a template it cannot parse, or one using a statement,
// filter or test this implementation does not have.
std::vector<Node> parse(std::string_view source);

}  // namespace longalign::host::jinja
